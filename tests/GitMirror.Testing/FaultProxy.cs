using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GitMirror.Testing;

/// <summary>What the <see cref="FaultProxy"/> does to one request.</summary>
public enum FaultKind
{
    /// <summary>Forward it untouched.</summary>
    None,
    /// <summary>Forward it, then reset the connection after half of the response body (a pack cut in the middle).</summary>
    ResetMidBody,
    /// <summary>Never answer; the connection stays open until the client gives up.</summary>
    Stall,
    /// <summary>Answer 500 without asking the server.</summary>
    ServerError,
    /// <summary>Answer 429 with <c>Retry-After: 1</c> without asking the server.</summary>
    TooManyRequestsRetryAfter,
    /// <summary>Answer 429 without Retry-After.</summary>
    TooManyRequests,
    /// <summary>Forward it, but end the response cleanly after half of its body (a truncated answer).</summary>
    Truncate,
    /// <summary>Forward it, dripping the response body a few bytes at a time.</summary>
    SlowDrip,
}

/// <summary>One request as the proxy saw it, and the fault it got.</summary>
public sealed record FaultProxyRecord(string Method, string PathAndQuery, FaultKind Fault, int StatusCode);

/// <summary>
/// A fault-injecting reverse proxy on 127.0.0.1 between GitMirror and a git or API server: resets
/// mid-pack, stalls, 500s, 429s with and without Retry-After, truncated answers and slow drips, for
/// the requests <see cref="Choose"/> picks. The server behind it stays correct, so whatever reached
/// it was applied for real: a test can check that a run reported exactly what happened.
/// </summary>
public sealed class FaultProxy : IDisposable, IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _client;
    private readonly Uri _upstream;
    private readonly List<FaultProxyRecord> _records = [];
    private int _disposed;

    private FaultProxy(string upstreamBaseUrl)
    {
        _upstream = new Uri(upstreamBaseUrl.TrimEnd('/') + "/");
        _client = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
        })
        { Timeout = Timeout.InfiniteTimeSpan };
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0);
            kestrel.Limits.MaxRequestBodySize = null;
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        _app = builder.Build();
        _app.Run(HandleAsync);
    }

    /// <summary>Starts a proxy in front of <paramref name="upstreamBaseUrl"/> (http://127.0.0.1:PORT).</summary>
    public static FaultProxy Start(string upstreamBaseUrl)
    {
        var proxy = new FaultProxy(upstreamBaseUrl);
        proxy._app.StartAsync().GetAwaiter().GetResult();
        var address = proxy._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        proxy.BaseUrl = new Uri(address).GetLeftPart(UriPartial.Authority).TrimEnd('/');
        return proxy;
    }

    /// <summary><c>http://127.0.0.1:PORT</c> of the proxy.</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>Picks the fault for each request (null: none). Called once per request, in arrival order.</summary>
    public Func<HttpRequest, FaultKind>? Choose { get; set; }

    /// <summary>How many requests got a fault other than None.</summary>
    public int FaultsInjected
    {
        get
        {
            lock (_records) return _records.Count(r => r.Fault != FaultKind.None);
        }
    }

    public IReadOnlyList<FaultProxyRecord> Records
    {
        get
        {
            lock (_records) return [.. _records];
        }
    }

    /// <summary>A chooser that faults the <paramref name="nth"/> request (1-based) matching <paramref name="match"/>.</summary>
    public static Func<HttpRequest, FaultKind> Nth(FaultKind fault, int nth, Func<HttpRequest, bool> match)
    {
        var seen = 0;
        return request => match(request) && Interlocked.Increment(ref seen) == nth ? fault : FaultKind.None;
    }

    /// <summary>Git's three kinds of request: the ref advertisement, a fetch, a push.</summary>
    public static bool IsAdvertisement(HttpRequest r) => r.Method == "GET" && r.Path.Value!.EndsWith("/info/refs", StringComparison.Ordinal);

    public static bool IsUploadPack(HttpRequest r) => r.Method == "POST" && r.Path.Value!.EndsWith("/git-upload-pack", StringComparison.Ordinal);

    public static bool IsReceivePack(HttpRequest r) => r.Method == "POST" && r.Path.Value!.EndsWith("/git-receive-pack", StringComparison.Ordinal);

    private async Task HandleAsync(HttpContext context)
    {
        var fault = Choose?.Invoke(context.Request) ?? FaultKind.None;
        try
        {
            switch (fault)
            {
                case FaultKind.Stall:
                    await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { });
                    return;
                case FaultKind.ServerError:
                    context.Response.StatusCode = 500;
                    await context.Response.WriteAsync("injected failure\n");
                    return;
                case FaultKind.TooManyRequestsRetryAfter:
                    context.Response.StatusCode = 429;
                    context.Response.Headers.RetryAfter = "1";
                    await context.Response.WriteAsync("slow down\n");
                    return;
                case FaultKind.TooManyRequests:
                    context.Response.StatusCode = 429;
                    await context.Response.WriteAsync("slow down\n");
                    return;
            }
            await ForwardAsync(context, fault);
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away.
        }
        finally
        {
            lock (_records) _records.Add(new FaultProxyRecord(context.Request.Method, context.Request.Path + context.Request.QueryString, fault, context.Response.StatusCode));
        }
    }

    private async Task ForwardAsync(HttpContext context, FaultKind fault)
    {
        var request = context.Request;
        using var upstream = new HttpRequestMessage(new HttpMethod(request.Method),
            new Uri(_upstream, request.Path.Value!.TrimStart('/') + request.QueryString));
        if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            // Buffered: git request bodies (wants, a pushed pack) are small in tests, and a replayable body keeps this simple.
            var body = new MemoryStream();
            await request.Body.CopyToAsync(body, context.RequestAborted);
            body.Position = 0;
            upstream.Content = new StreamContent(body);
        }
        foreach (var (name, values) in request.Headers)
        {
            if (name is "Host" or "Connection" or "Transfer-Encoding" or "Content-Length" or "Expect") continue;
            if (!upstream.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)values))
            {
                upstream.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)values);
            }
        }

        using var response = await _client.SendAsync(upstream, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        var bytes = await response.Content.ReadAsByteArrayAsync(context.RequestAborted);
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (name is "Transfer-Encoding" or "Connection" or "Content-Length") continue;
            context.Response.Headers[name] = values.ToArray();
        }

        switch (fault)
        {
            case FaultKind.ResetMidBody:
                context.Response.ContentLength = bytes.Length;
                await context.Response.Body.WriteAsync(bytes.AsMemory(0, bytes.Length / 2), context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                context.Abort();
                return;
            case FaultKind.Truncate:
                // No Content-Length: a chunked answer that just ends early, as a broken proxy's would.
                await context.Response.Body.WriteAsync(bytes.AsMemory(0, bytes.Length / 2), context.RequestAborted);
                return;
            case FaultKind.SlowDrip:
                for (var offset = 0; offset < bytes.Length; offset += 64)
                {
                    await context.Response.Body.WriteAsync(bytes.AsMemory(offset, Math.Min(64, bytes.Length - offset)), context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                    await Task.Delay(5, context.RequestAborted);
                }
                return;
            default:
                context.Response.ContentLength = bytes.Length;
                await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
                return;
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _app.StopAsync();
        await _app.DisposeAsync();
        _client.Dispose();
    }
}
