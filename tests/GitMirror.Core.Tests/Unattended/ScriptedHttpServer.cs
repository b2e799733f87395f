using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GitMirror.Core.Tests.Unattended;

/// <summary>
/// A Kestrel server on 127.0.0.1 that answers each request with the next scripted reply
/// (the last one repeats), and counts the requests.
/// </summary>
internal sealed class ScriptedHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Reply> _script;
    private readonly Reply _last;
    private int _requests;

    private ScriptedHttpServer(WebApplication app, Reply[] script)
    {
        _app = app;
        _script = new ConcurrentQueue<Reply>(script);
        _last = script[^1];
    }

    public Uri Url { get; private set; } = null!;

    public int Requests => Volatile.Read(ref _requests);

    public static async Task<ScriptedHttpServer> StartAsync(params Reply[] script)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new ScriptedHttpServer(app, script);
        app.Run(server.AnswerAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Url = new Uri(address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal) + "/");
        return server;
    }

    private async Task AnswerAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        var reply = _script.TryDequeue(out var next) ? next : _last;
        if (reply.Hang)
        {
            // Accepts the request and never answers, until the client gives up.
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { });
            return;
        }
        context.Response.StatusCode = reply.Status;
        foreach (var (name, value) in reply.Headers) context.Response.Headers[name] = value;
        await context.Response.WriteAsync(reply.Body);
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }

    public sealed record Reply(int Status, string Body = "", bool Hang = false, params (string Name, string Value)[] Headers)
    {
        public static Reply NoAnswer { get; } = new(0, Hang: true);
    }
}
