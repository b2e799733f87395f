using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.Host.Tests.Serve;

/// <summary>
/// Unsigned senders cannot hold the service's memory: many large bodies with a made-up signature,
/// sent fast and then trickled, against the real `gitmirror serve`, whose resident memory is
/// sampled from /proc while they arrive.
/// </summary>
public sealed class WebhookMemoryTests : IDisposable
{
    private const string Secret = "whsec-memory-3c4d5e";
    private const int Senders = 10;
    private const int BodyBytes = 24 * 1024 * 1024;

    private readonly HttpMirrorWorld _http = new();

    public void Dispose() => _http.Dispose();

    [UnixFact]
    public async Task Large_trickled_bodies_with_a_wrong_signature_are_refused_503_or_timed_out_and_memory_stays_bounded()
    {
        var world = _http.World;
        var (gitHub, _) = world.AddPair("acme/alpha", "acme/alpha", "acme/alpha");
        var tip = gitHub.Commit("main");
        using var serve = ServeProcess.Start(world.Root, Secret, "-Path", world.ConfigPath, "-Listen", "127.0.0.1:0", "-PollIntervalSec", "0");
        Assert.Equal(HttpStatusCode.OK, (await serve.GetAsync("/healthz")).StatusCode);
        var baseline = Rss(serve.Pid);

        long peak = baseline;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, Rss(serve.Pid));
                await Task.Delay(50);
            }
        });
        var clock = Stopwatch.StartNew();
        var answers = await Task.WhenAll(Enumerable.Range(0, Senders).Select(_ => Task.Run(() => SendAndTrickle(serve.BaseUrl))));
        sampling.Cancel();
        await sampler;

        // Every sender got its answer (or its connection closed) long before the trickle would end.
        Assert.All(answers, a => Assert.True(a.After < TimeSpan.FromSeconds(35), $"{a.Status} after {a.After}"));
        Assert.Contains(answers, a => a.Status == 503 && a.RetryAfter);
        var metrics = await (await serve.GetAsync("/metrics")).Content.ReadAsStringAsync();
        var busy = Count(metrics, "busy");
        var timedOut = Count(metrics, "timed_out");
        Assert.True(busy >= Senders - 2, metrics);
        Assert.Equal(Senders, busy + timedOut + Count(metrics, "unauthorized"));
        // Ten bodies of 24 MB were offered; what was held stays near the budget (40 MB), not 240 MB.
        Assert.True(peak - baseline < 160L * 1024 * 1024, $"resident memory grew by {(peak - baseline) / (1024 * 1024)} MB (baseline {baseline / (1024 * 1024)} MB)");

        // The budget is free again: a signed push is accepted.
        Assert.Equal(HttpStatusCode.Accepted, (await serve.GitHubPushAsync("acme/alpha", "refs/heads/main", tip, Secret)).StatusCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60));
    }

    private static long Count(string metrics, string outcome)
    {
        var prefix = $"gitmirror_webhook_events_total{{forge=\"github\",outcome=\"{outcome}\"}} ";
        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line[prefix.Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>VmRSS of a process, in bytes.</summary>
    private static long Rss(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>Announces 25 MB less one byte, sends 24 MB at once, then one byte a second; returns the answer's status (0: closed without one).</summary>
    private static async Task<(int Status, bool RetryAfter, TimeSpan After)> SendAndTrickle(Uri baseUrl)
    {
        var clock = Stopwatch.StartNew();
        using var client = new TcpClient();
        await client.ConnectAsync(baseUrl.Host, baseUrl.Port);
        var stream = client.GetStream();
        var headers = $"POST /hooks/github HTTP/1.1\r\nHost: {baseUrl.Authority}\r\nContent-Type: application/json\r\nX-GitHub-Event: push\r\n"
            + $"X-GitHub-Delivery: {Guid.NewGuid()}\r\nX-Hub-Signature-256: sha256={new string('0', 64)}\r\nContent-Length: {25 * 1024 * 1024 - 1}\r\n\r\n";
        using var done = new CancellationTokenSource();
        var reader = Task.Run(async () =>
        {
            var buffer = new byte[4096];
            var text = new StringBuilder();
            try
            {
                while (!text.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var n = await stream.ReadAsync(buffer, done.Token);
                    if (n == 0) break;
                    text.Append(Encoding.ASCII.GetString(buffer, 0, n));
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
            {
            }
            var head = text.ToString();
            var status = head.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) ? int.Parse(head.AsSpan(9, 3), provider: System.Globalization.CultureInfo.InvariantCulture) : 0;
            return (status, head.Contains("Retry-After: ", StringComparison.OrdinalIgnoreCase), clock.Elapsed);
        });
        try
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(headers));
            var chunk = new byte[64 * 1024];
            Array.Fill(chunk, (byte)' ');
            for (var sent = 0; sent < BodyBytes && !reader.IsCompleted; sent += chunk.Length) await stream.WriteAsync(chunk);
            for (var i = 0; i < 40 && !reader.IsCompleted; i++)
            {
                await stream.WriteAsync(" "u8.ToArray());
                await Task.WhenAny(reader, Task.Delay(1000));
            }
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            // The service closed the connection: the reader has the answer, if one came.
        }
        await Task.WhenAny(reader, Task.Delay(5000));
        done.Cancel();
        return await reader;
    }
}
