using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GitMirror.Testing;

/// <summary>One request a <see cref="CanaryServer"/> saw, with every header (credentials included: that is the point).</summary>
public sealed record CanaryRequest(string Method, string Target, IReadOnlyDictionary<string, string> Headers)
{
    /// <summary>True when any header value holds <paramref name="token"/>, as is or inside Basic auth's base64.</summary>
    public bool Carries(string token) => Headers.Values.Any(v => v.Contains(token, StringComparison.Ordinal)
        || (v.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase) && TryDecode(v[6..]).Contains(token, StringComparison.Ordinal)));

    private static string TryDecode(string base64)
    {
        try
        {
            return System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(base64.Trim()));
        }
        catch (FormatException)
        {
            return "";
        }
    }
}

/// <summary>
/// An attacker's server for security tests: Kestrel on 127.0.0.1:0 (http, or https with a
/// self-signed certificate) that records every request with all its headers and answers with
/// <see cref="Answer"/> (default: 200 with an empty JSON object). Tests assert that a canary token
/// never arrives here.
/// </summary>
public sealed class CanaryServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<CanaryRequest> _requests = new();

    private CanaryServer(WebApplication app) => _app = app;

    /// <summary>scheme://127.0.0.1:PORT (no trailing slash).</summary>
    public string BaseUrl { get; private set; } = "";

    public int Port => new Uri(BaseUrl).Port;

    public IReadOnlyList<CanaryRequest> Requests => [.. _requests];

    /// <summary>How the server answers; set it before the client calls.</summary>
    public Func<HttpContext, Task> Answer { get; set; } = async context =>
    {
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync("{}");
    };

    public bool SawToken(string token) => Requests.Any(r => r.Carries(token));

    public static async Task<CanaryServer> StartAsync(bool https = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (https) listen.UseHttps(SelfSignedCertificate());
        }));
        var app = builder.Build();
        var server = new CanaryServer(app);
        app.Run(async context =>
        {
            var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            server._requests.Enqueue(new CanaryRequest(context.Request.Method, context.Request.Path + context.Request.QueryString, headers));
            await server.Answer(context);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUrl = address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/');
        return server;
    }

    /// <summary>An answer that redirects every request to <paramref name="location"/> (plus the request's path when asked).</summary>
    public static Func<HttpContext, Task> RedirectTo(string location, int status = 302, bool appendPath = true) => context =>
    {
        context.Response.StatusCode = status;
        context.Response.Headers.Location = appendPath ? location.TrimEnd('/') + context.Request.Path + context.Request.QueryString : location;
        return Task.CompletedTask;
    };

    /// <summary>A handler trusting any server certificate, for clients of the https canary (tests only).</summary>
    public static SocketsHttpHandler TrustingHandler() => new()
    {
        AllowAutoRedirect = false,
        SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
    };

    private static X509Certificate2 SelfSignedCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        // Kestrel needs a certificate whose private key it can use on every platform: round-trip through PFX.
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pfx), null);
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }
}
