using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using GitMirror.Core;
using GitMirror.Core.Config;
using GitMirror.Core.Service;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GitMirror.Host.Serve;

/// <summary>
/// <c>gitmirror serve</c>: Kestrel in front of <see cref="MirrorService"/>. Lives in the host (an exe),
/// because pwsh does not load the ASP.NET Core shared framework a module would need. It uses the
/// engine (GitMirror.Core) directly, not through a PowerShell runspace: a service has no pipeline.
/// </summary>
internal static class ServeCommand
{
    /// <summary>How long shutdown waits for cancelled syncs to wind down.</summary>
    private static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(5);

    private static readonly JsonSerializerOptions StatusJson = new()
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    private static readonly HttpClient Forwarder = new() { Timeout = TimeSpan.FromSeconds(10) };

    public static int Run(IReadOnlyList<string> args)
    {
        ServeOptions options;
        try
        {
            options = ServeOptions.Parse(args);
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine("gitmirror serve: " + e.Message);
            Console.Error.WriteLine(ServeOptions.Usage);
            return ExitCodes.BadUsage;
        }

        MirrorConfig config;
        ShardRouting? routing = null;
        try
        {
            config = ConfigLoader.Load(ConfigLoader.ResolvePath(options.Path, Environment.CurrentDirectory));
            if (options.Shard is not null) routing = ShardRouting.Parse(options.Shard, options.Peers);
        }
        catch (MirrorConfigException e)
        {
            Console.Error.WriteLine("gitmirror serve: " + e.Message);
            return ExitCodes.BadUsage;
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine("gitmirror serve: " + e.Message);
            return ExitCodes.BadUsage;
        }

        // Forwards carry payloads (not the secret): plain http to another host follows the allowInsecureHttp rule of the forges.
        if (options.Peers is not null)
        {
            var insecure = options.Peers.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Where(p => Uri.TryCreate(p, UriKind.Absolute, out var peer) && peer.Scheme == Uri.UriSchemeHttp && !GitMirror.Core.Transport.HttpOrigin.IsLoopback(peer))
                .ToList();
            if (insecure.Count > 0 && !(config.GitHub.AllowInsecureHttp || config.GitLab.AllowInsecureHttp))
            {
                Console.Error.WriteLine($"gitmirror serve: -Peers {string.Join(", ", insecure)}: plain http to a host that is not loopback; "
                    + "webhook payloads would cross the network in clear text. Use https:// peers, or set allowInsecureHttp: true in the config's github: or gitlab: section if the network path is trusted.");
                return ExitCodes.BadUsage;
            }
            foreach (var peer in insecure) Console.Error.WriteLine($"gitmirror serve: WARNING: forwarding to {peer} over plain http (allowInsecureHttp).");
        }

        // As Sync-MirrorPair does: a log that cannot be written stops the start, not every sync after it.
        if (options.LogPath is not null && GitMirror.Core.Report.OutputFile.Problem(Path.GetFullPath(options.LogPath)) is { } logProblem)
        {
            Console.Error.WriteLine($"gitmirror serve: -LogPath '{options.LogPath}': {logProblem}.");
            return ExitCodes.BadUsage;
        }

        string? secret;
        try
        {
            secret = WebhookSecretSource.Read(config, out _);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine("gitmirror serve: " + e.Message);
            return ExitCodes.BadUsage;
        }
        if (string.IsNullOrWhiteSpace(secret))
        {
            Console.Error.WriteLine($"gitmirror serve: the webhook secret is missing: set the environment variable {config.WebhookSecretEnv} "
                + "to the secret the GitHub and GitLab hooks were created with (Initialize-MirrorBootstrap -Trigger Webhook generates one "
                + $"into {WebhookSecretSource.FilePath(config)} when the variable is unset). Not starting.");
            return ExitCodes.BadUsage;
        }

        var service = new MirrorService(new MirrorServiceOptions
        {
            Config = config,
            Secret = secret.Trim(),
            Routing = routing,
            PollInterval = TimeSpan.FromSeconds(options.PollIntervalSec),
            LogPath = options.LogPath is null ? null : Path.GetFullPath(options.LogPath),
        }, new ConsoleLog(), Say);

        var access = new StatusAccess(StatusAccess.TokenFromEnvironment(), options.StatusListen is not null);
        WebApplication app;
        try
        {
            app = Build(options, service, access, secret.Trim());
            app.Start();
        }
        catch (Exception e) when (e is IOException or FormatException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            // A port in use or an address not of this machine: the -Listen setting, a usage error (3),
            // which the systemd unit does not restart on.
            Console.Error.WriteLine($"gitmirror serve: cannot listen on {options.Listen}{(options.StatusListen is null ? "" : " and " + options.StatusListen)}: {e.Message}");
            return ExitCodes.BadUsage;
        }

        if (config.Organizations.Count > 0)
        {
            // Before the first poll and event: the organisations' pairs (from the cache while it is fresh).
            try
            {
                service.RefreshOrganizationsAsync(null, CancellationToken.None).GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Say($"Listing the organisations failed: {e.Message}; the poll tries again");
            }
        }

        // Kestrel lists its addresses in the order they were added: -Listen first, then -StatusListen.
        var urls = app.Urls.ToList();
        Say($"Listening on {urls[0]}");
        if (options.StatusListen is not null && urls.Count > 1) Say($"Status pages on {urls[1]}");
        foreach (var address in urls.Skip(options.StatusListen is null ? 1 : 2)) Say($"Listening on {address}");
        if (!access.SyncAllowed) Say($"{StatusAccess.TokenVariable} is not set: the status pages are open to whoever reaches them, and sync requests are refused.");
        Say($"Serving {service.OwnedPairs.Count} of {service.Config.Pairs.Count} pairs from {config.ConfigPath}"
            + (routing is null ? "" : $" ({routing})")
            + (options.PollIntervalSec > 0 ? $"; polling every {options.PollIntervalSec} s" : "; no polling"));
        service.Start();
        app.WaitForShutdown();
        Say("Stopped.");
        return ExitCodes.Success;
    }

    private static WebApplication Build(ServeOptions options, MirrorService service, StatusAccess access, string secret)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownGrace);
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // The body limit is ours (413 with a reason), not Kestrel's.
            kestrel.Limits.MaxRequestBodySize = null;
            // A sender that trickles is cut off: headers within 10 s, the body at 1 KB/s at least
            // after 5 s (the total time a body may take is the hook's own limit).
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 1024, gracePeriod: TimeSpan.FromSeconds(5));
            kestrel.AddServerHeader = false;
            var (address, localhost, port) = ServeOptions.ParseListen(options.Listen);
            if (localhost) kestrel.ListenLocalhost(port);
            else kestrel.Listen(address!, port, listen => listen.Protocols = HttpProtocols.Http1);
            if (options.StatusListen is not null)
            {
                // Connections of the status listener are marked, so one pipeline can tell them apart.
                void Mark(ListenOptions listen)
                {
                    listen.Protocols = HttpProtocols.Http1;
                    listen.Use(next => connection =>
                    {
                        connection.Items[StatusAccess.StatusConnectionKey] = true;
                        return next(connection);
                    });
                }
                var (statusAddress, statusLocalhost, statusPort) = ServeOptions.ParseListen(options.StatusListen, "-StatusListen");
                if (statusLocalhost) kestrel.ListenLocalhost(statusPort, Mark);
                else kestrel.Listen(statusAddress!, statusPort, Mark);
            }
        });
        var app = builder.Build();

        var lifetime = app.Lifetime;
        var ready = true;
        // Stop accepting (Kestrel), then cancel in-flight syncs; their leases keep both sides whole.
        lifetime.ApplicationStopping.Register(() =>
        {
            ready = false;
            Say("Stopping: no new syncs, cancelling the running ones.");
            service.StopAsync(ShutdownGrace).GetAwaiter().GetResult();
        });

        app.Use((context, next) => access.FilterAsync(context, next));
        var bodies = new WebhookBodyReader(WebhookBodyReader.DefaultBudgetBytes, WebhookBodyReader.DefaultBodyTime);
        var secretKey = System.Text.Encoding.UTF8.GetBytes(secret);
        app.MapPost("/hooks/github", context => HookAsync(context, MirrorSide.GitHub, service, bodies, secretKey));
        app.MapPost("/hooks/gitlab", context => HookAsync(context, MirrorSide.GitLab, service, bodies, secretKey));
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", () => ready ? Results.Text("ready\n") : Results.Text("stopping\n", statusCode: 503));
        app.MapGet("/metrics", () => Results.Text(service.MetricsText(), "text/plain; version=0.0.4; charset=utf-8"));
        app.MapGet("/status", () => Results.Text(JsonSerializer.Serialize(service.Statuses(), StatusJson), "application/json; charset=utf-8"));
        app.MapGet("/", () => Results.Text(StatusPage.Render(service, DateTimeOffset.UtcNow, access.SyncAllowed), "text/html; charset=utf-8"));
        app.MapPost("/pairs/{**rest}", context => SyncNowAsync(context, service, access));
        return app;
    }

    private static async Task HookAsync(HttpContext context, MirrorSide forge, MirrorService service, WebhookBodyReader bodies, byte[] secretKey)
    {
        var receivedAt = Stopwatch.GetTimestamp();
        var request = context.Request;
        string? Header(string name) => request.Headers.TryGetValue(name, out var value) ? value.ToString() : null;

        byte[]? body = null;
        var decision = service.Receiver.CheckHeaders(forge, Header, request.ContentLength);
        if (decision is null)
        {
            var (outcome, read) = await bodies.ReadAsync(request.Body, forge == MirrorSide.GitHub ? secretKey : null, Header("X-Hub-Signature-256"), context.RequestAborted);
            body = read;
            decision = outcome switch
            {
                WebhookBodyReader.Outcome.Complete => service.Receiver.Decide(forge, Header, read),
                WebhookBodyReader.Outcome.TooLarge => WebhookReceiver.TooLarge(forge),
                WebhookBodyReader.Outcome.WrongSignature => new WebhookDecision(WebhookOutcome.Unauthorized, forge, "wrong X-Hub-Signature-256"),
                WebhookBodyReader.Outcome.OverBudget => new WebhookDecision(WebhookOutcome.Busy, forge, "the webhook bodies being received already fill the memory budget; retry later"),
                _ => new WebhookDecision(WebhookOutcome.TimedOut, forge, $"the body did not arrive within {bodies.BodyTime.TotalSeconds:0} s"),
            };
            // A repository an organisation rule matches but its cached listing lacks (created since): list it now.
            if (outcome == WebhookBodyReader.Outcome.Complete && service.RuleToRecheck(decision) is { } rule)
            {
                decision = await service.RecheckAsync(rule, decision, () => service.Receiver.Decide(forge, Header, read!));
            }
        }
        service.Handle(decision, receivedAt);

        context.Response.StatusCode = decision.HttpStatus;
        // A body not read to its end: close the connection rather than read the rest.
        if (decision.Outcome is WebhookOutcome.TooLarge or WebhookOutcome.Busy or WebhookOutcome.TimedOut) context.Response.Headers.Connection = "close";
        if (decision.Outcome == WebhookOutcome.Busy) context.Response.Headers.RetryAfter = WebhookBodyReader.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await context.Response.WriteAsJsonAsync(AnswerOf(decision), context.RequestAborted);

        if (decision.Outcome == WebhookOutcome.Forwarded)
        {
            var headers = WebhookReceiver.ForwardedHeaders
                .Select(name => (name, value: Header(name)))
                .Where(h => h.value is not null)
                .ToList();
            _ = ForwardAsync(service, decision, headers!, body!);
        }
    }

    /// <summary><c>POST /pairs/{name}/sync</c>: the pair is synced as for an event.</summary>
    private static async Task SyncNowAsync(HttpContext context, MirrorService service, StatusAccess access)
    {
        async Task Answer(int status, string key, string? value)
        {
            context.Response.StatusCode = status;
            await context.Response.WriteAsJsonAsync(new Dictionary<string, string?> { [key] = value }, context.RequestAborted);
        }
        if (!access.SyncAllowed)
        {
            await Answer(StatusCodes.Status403Forbidden, "error", $"sync requests need a credential: set {StatusAccess.TokenVariable} for the service");
            return;
        }
        if (StatusAccess.CrossSite(context.Request))
        {
            await Answer(StatusCodes.Status403Forbidden, "error", "a sync request from another site's page is refused");
            return;
        }
        var name = StatusAccess.SyncPairName(context);
        var pair = name is null ? null
            : service.OwnedPairs.FirstOrDefault(p => p.Name.Equals(name, StringComparison.Ordinal))
              ?? service.OwnedPairs.FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
        if (pair is null)
        {
            var elsewhere = name is not null && service.Config.Pairs.Any(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
            await Answer(StatusCodes.Status404NotFound, "error", elsewhere ? "the pair belongs to another shard: ask its owner" : "no such pair");
            return;
        }
        if (!service.Scheduler.Request(pair))
        {
            await Answer(StatusCodes.Status503ServiceUnavailable, "error", "stopping");
            return;
        }
        Say($"Sync of '{pair.Name}' requested over HTTP.");
        await Answer(StatusCodes.Status202Accepted, "accepted", pair.Name);
    }

    private static Dictionary<string, object?> AnswerOf(WebhookDecision decision) => decision.Outcome switch
    {
        WebhookOutcome.Accepted => new() { ["accepted"] = decision.Pair!.Name, ["ref"] = decision.Ref },
        WebhookOutcome.Forwarded => new() { ["forwarded"] = decision.Pair!.Name, ["shard"] = decision.ForwardTo?.GetLeftPart(UriPartial.Authority) },
        WebhookOutcome.Ignored => new() { ["ignored"] = decision.Reason },
        WebhookOutcome.Ping => new() { ["ok"] = "pong" },
        _ => new() { ["error"] = decision.Reason },
    };

    /// <summary>The original body and headers, unchanged, to the pair's owner, which verifies them again.</summary>
    private static async Task ForwardAsync(MirrorService service, WebhookDecision decision, List<(string Name, string Value)> headers, byte[] body)
    {
        try
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, decision.ForwardTo) { Content = new ByteArrayContent(body) };
            foreach (var (name, value) in headers)
            {
                if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)) message.Content.Headers.TryAddWithoutValidation(name, value);
                else message.Headers.TryAddWithoutValidation(name, value);
            }
            message.Headers.TryAddWithoutValidation(WebhookReceiver.ForwardedHeader, service.Routing?.ToString() ?? "a replica");
            message.Headers.TryAddWithoutValidation(WebhookReceiver.ForwardSignatureHeader, service.Receiver.ForwardSignature(decision.Forge, body));
            using var response = await Forwarder.SendAsync(message);
            service.LogForward(decision, (int)response.StatusCode, response.IsSuccessStatusCode ? null : $"the owner answered {(int)response.StatusCode}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            service.LogForward(decision, null, e is TaskCanceledException ? "no answer within 10 s" : e.Message);
        }
    }

    private static void Say(string line) => Console.Out.WriteLine($"{DateTimeOffset.UtcNow:yyyy-MM-dd'T'HH:mm:ss'Z'} {GitMirror.Core.Report.ServerText.Printable(line)}");

    /// <summary>The engine's warnings to stderr; its step-by-step verbose messages are for interactive runs only.</summary>
    private sealed class ConsoleLog : IMirrorLog
    {
        public void Verbose(string message)
        {
        }

        public void Warning(string message) => Console.Error.WriteLine($"{DateTimeOffset.UtcNow:yyyy-MM-dd'T'HH:mm:ss'Z'} WARNING: {GitMirror.Core.Report.ServerText.Printable(message)}");
    }
}
