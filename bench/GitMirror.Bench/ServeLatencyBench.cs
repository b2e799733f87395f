using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using GitMirror.Testing;

/// <summary>
/// `bench serve [EVENTS] [PAIRS]`: event-to-mirrored latency of the real `gitmirror serve` process.
/// PAIRS pairs (default 50) over the local smart-HTTP server; EVENTS one-commit pushes (default 100)
/// spread over them round-robin, one at a time: commit on GitHub, then the clock starts, the signed
/// push webhook is POSTed, and the clock stops when GitLab's branch holds the commit. Also reports
/// the service's own sync durations (the git transfer part) from its JSON log.
/// </summary>
internal static class ServeLatencyBench
{
    private const string Token = "bench-token-0123456789";
    private const string Secret = "bench-webhook-secret";

    public static async Task<int> RunAsync(int events, int pairCount)
    {
        var hostDll = HostDll();
        using var world = new MirrorWorld();
        using var server = GitHttpServer.Start(world.Root);
        server.AcceptedTokens.Add(Token);
        Environment.SetEnvironmentVariable("BENCH_GH_TOKEN", Token);
        Environment.SetEnvironmentVariable("BENCH_GL_TOKEN", Token);
        world.GitHubTokenEnv = "BENCH_GH_TOKEN";
        world.GitLabTokenEnv = "BENCH_GL_TOKEN";
        world.GitHubUrl = server.BaseUrl + "/github";
        world.GitLabUrl = server.BaseUrl + "/gitlab";

        Console.WriteLine($"Creating {pairCount} pairs (one commit each, already mirrored)...");
        var pairs = new List<(string Name, RepoBuilder GitHub, string GitLabBare)>();
        for (var i = 0; i < pairCount; i++)
        {
            var name = $"p{i:D3}";
            var (gitHub, gitLab) = world.AddPair(name);
            gitHub.Commit("main");
            Git.Run(gitHub.BarePath, "push", "--quiet", gitLab.BarePath, "main");
            pairs.Add((name, gitHub, gitLab.BarePath));
        }

        var log = Path.Combine(world.Root, "serve.jsonl");
        var psi = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        if (!Path.GetFileNameWithoutExtension(psi.FileName).Equals("dotnet", StringComparison.OrdinalIgnoreCase)) psi.FileName = "dotnet";
        foreach (var a in new[] { hostDll, "serve", "-Path", world.ConfigPath, "-Listen", "127.0.0.1:0", "-PollIntervalSec", "0", "-LogPath", log }) psi.ArgumentList.Add(a);
        psi.Environment["GITMIRROR_WEBHOOK_SECRET"] = Secret;
        using var serve = Process.Start(psi)!;
        var listening = new TaskCompletionSource<Uri>();
        serve.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && Regex.Match(line, @"Listening on (http://\S+)") is { Success: true } m) listening.TrySetResult(new Uri(m.Groups[1].Value));
        };
        serve.BeginOutputReadLine();
        serve.BeginErrorReadLine();
        var baseUrl = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
        using var http = new HttpClient { BaseAddress = baseUrl };

        // One warm-up event (JIT, first connections), not counted.
        await EventAsync(http, pairs[0], TimeSpan.FromSeconds(60));
        Console.WriteLine($"Sending {events} push events across {pairCount} pairs, one at a time...");
        var latencies = new List<double>();
        for (var i = 0; i < events; i++)
        {
            latencies.Add(await EventAsync(http, pairs[i % pairs.Count], TimeSpan.FromSeconds(60)));
        }
        var metrics = await http.GetStringAsync("/metrics");

        ServeProcessStop(serve);
        var syncs = File.ReadAllLines(log).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(l => l.GetProperty("action").GetString() == "sync")
            .Select(l => l.GetProperty("durationMs").GetDouble() / 1000).Skip(1).ToList();

        latencies.Sort();
        syncs.Sort();
        Console.WriteLine();
        Console.WriteLine($"Event-to-mirrored (webhook POSTed → GitLab holds the commit), {events} events over {pairCount} pairs:");
        Console.WriteLine($"  median {Percentile(latencies, 50):0.000} s   p95 {Percentile(latencies, 95):0.000} s   max {latencies[^1]:0.000} s");
        Console.WriteLine($"  of which the pair's sync (observe + push over HTTP): median {Percentile(syncs, 50):0.000} s   p95 {Percentile(syncs, 95):0.000} s");
        Console.WriteLine($"  service overhead incl. the {0.2:0.0} s debounce: median {Percentile(latencies, 50) - Percentile(syncs, 50):0.000} s");
        Console.WriteLine($"  /metrics: {metrics.Split('\n').FirstOrDefault(l => l.StartsWith("gitmirror_event_to_mirrored_seconds_count", StringComparison.Ordinal))}");
        return 0;
    }

    private static async Task<double> EventAsync(HttpClient http, (string Name, RepoBuilder GitHub, string GitLabBare) pair, TimeSpan timeout)
    {
        var sha = pair.GitHub.Commit("main");
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            @ref = "refs/heads/main",
            before = "0000000000000000000000000000000000000000",
            after = sha,
            repository = new { full_name = $"org/{pair.Name}" },
        });
        var clock = Stopwatch.StartNew();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/hooks/github") { Content = new ByteArrayContent(body) };
        request.Headers.Add("X-GitHub-Event", "push");
        request.Headers.Add("X-GitHub-Delivery", Guid.NewGuid().ToString());
        request.Headers.Add("X-Hub-Signature-256", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), body)));
        using var response = await http.SendAsync(request);
        if ((int)response.StatusCode != 202) throw new InvalidOperationException($"webhook answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var refFile = Path.Combine(pair.GitLabBare, "refs", "heads", "main");
        while (ReadRef(refFile) != sha)
        {
            if (clock.Elapsed > timeout) throw new TimeoutException($"{pair.Name} not mirrored within {timeout.TotalSeconds} s");
            await Task.Delay(2);
        }
        return clock.Elapsed.TotalSeconds;
    }

    // http-backend writes loose refs; read the file rather than spawn git in the timed loop.
    private static string? ReadRef(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static double Percentile(List<double> sorted, int p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static void ServeProcessStop(Process serve)
    {
        Process.Start("kill", ["-TERM", serve.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        if (!serve.WaitForExit(15_000)) serve.Kill();
    }

    /// <summary>The `gitmirror` host built in the same configuration as this bench.</summary>
    private static string HostDll()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "GitMirror.sln"))) dir = dir.Parent;
        var configuration = typeof(ServeLatencyBench).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        var dll = Path.Combine(dir!.FullName, "src", "GitMirror.Host", "bin", configuration, "net10.0", "gitmirror.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build the host first: dotnet build -c {configuration} src/GitMirror.Host", dll);
    }
}
