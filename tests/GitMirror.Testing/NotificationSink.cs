using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace GitMirror.Testing;

/// <summary>One POST a <see cref="NotificationSink"/> received, answered with <paramref name="Status"/>.</summary>
public sealed record SinkDelivery(string Path, IReadOnlyDictionary<string, string> Headers, string Body, int Status, bool SignatureValid)
{
    public JsonObject Json => (JsonObject)JsonNode.Parse(Body)!;

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>
/// A webhook receiver for notification tests, on real Kestrel HTTP (the <see cref="CanaryServer"/>
/// underneath, so every header is recorded too): keeps each delivery's body, answers 500 to the
/// first <see cref="FailFirst"/> ones (or all, with <see cref="FailAll"/>), and checks the
/// X-GitMirror-Signature-256 header against <see cref="Secret"/> as a receiver would.
/// </summary>
public sealed class NotificationSink : IAsyncDisposable
{
    private readonly CanaryServer _server;
    private readonly ConcurrentQueue<SinkDelivery> _deliveries = new();
    private int _failuresLeft;

    private NotificationSink(CanaryServer server)
    {
        _server = server;
        server.Answer = AnswerAsync;
    }

    public static async Task<NotificationSink> StartAsync() => new(await CanaryServer.StartAsync());

    /// <summary>The URL to configure; the path stands in for the secret part of a Slack-style URL.</summary>
    public string Url(string secretPath = "hooks/T000/B000/secret") => $"{_server.BaseUrl}/{secretPath}";

    public CanaryServer Server => _server;

    /// <summary>How many of the next deliveries are answered 500.</summary>
    public int FailFirst { set => Volatile.Write(ref _failuresLeft, value); }

    /// <summary>Answer every delivery 500.</summary>
    public bool FailAll { get; set; }

    /// <summary>The HMAC key a receiver shares with GitMirror; null: no signature expected.</summary>
    public string? Secret { get; set; }

    /// <summary>Every attempt, failed ones included, in order.</summary>
    public IReadOnlyList<SinkDelivery> Attempts => [.. _deliveries];

    /// <summary>The attempts that were answered 2xx: the messages that arrived.</summary>
    public IReadOnlyList<SinkDelivery> Received => [.. _deliveries.Where(d => d.Status < 300)];

    private async Task AnswerAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var valid = Secret is null || (headers.TryGetValue("X-GitMirror-Signature-256", out var signature)
            && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(signature),
                Encoding.ASCII.GetBytes("sha256=" + Convert.ToHexString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(body))).ToLowerInvariant())));
        var fail = FailAll || Interlocked.Decrement(ref _failuresLeft) >= 0;
        var status = fail ? 500 : valid ? 200 : 401;
        _deliveries.Enqueue(new SinkDelivery(context.Request.Path, headers, body, status, valid));
        context.Response.StatusCode = status;
        await context.Response.WriteAsync(fail ? "sink told to fail" : "ok");
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
