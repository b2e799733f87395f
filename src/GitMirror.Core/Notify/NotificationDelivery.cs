using System.Security.Cryptography;
using System.Text;
using GitMirror.Core.Config;
using GitMirror.Core.Forges;
using GitMirror.Core.Report;
using GitMirror.Core.Transport;
using GitMirror.Core.Unattended;

namespace GitMirror.Core.Notify;

/// <summary>
/// Posts one message to one <c>notify:</c> entry: through the origin guard (no redirect is
/// followed, so the message never lands elsewhere) and the engine's retry policy (3 tries, 10 s
/// each, backoff). Returns why it failed, or null; it never throws but for the caller's cancellation.
/// Nothing it reports holds the URL's path or query, the signature key or a token.
/// </summary>
internal sealed class NotificationDelivery(IMirrorLog log, MirrorRetryOptions retry, SecretRedactor tokens)
{
    public const string EventHeader = "X-GitMirror-Event";
    public const string DeliveryHeader = "X-GitMirror-Delivery";
    public const string SignatureHeader = "X-GitMirror-Signature-256";

    /// <summary>3 tries of at most 10 s each, 1 s then 2 s apart (with jitter).</summary>
    public static MirrorRetryOptions DefaultRetry { get; } = new()
    {
        MaxAttempts = 3,
        AttemptTimeout = TimeSpan.FromSeconds(10),
        BaseDelay = TimeSpan.FromSeconds(1),
        MaxDelay = TimeSpan.FromSeconds(10),
        MaxTotalDelay = TimeSpan.FromSeconds(20),
    };

    public async Task<string?> SendAsync(NotifyTarget target, NotificationMessage message, CancellationToken cancellationToken)
    {
        var url = target.Url;
        if (target.UrlEnv is { } urlEnv)
        {
            url = Environment.GetEnvironmentVariable(urlEnv)?.Trim();
            if (string.IsNullOrEmpty(url)) return $"{target.Name}: the environment variable {urlEnv} named by urlEnv is not set";
            if (NotifyUrls.Problem(url, target.AllowInsecureHttp, $"{target.Name}.allowInsecureHttp") is { } problem)
            {
                return $"{target.Name}: the URL in {urlEnv} {problem}";
            }
        }
        string? secret = null;
        if (target.SecretEnv is { } secretEnv)
        {
            secret = Environment.GetEnvironmentVariable(secretEnv);
            if (string.IsNullOrEmpty(secret)) return $"{target.Name}: the environment variable {secretEnv} named by secretEnv is not set; not sent unsigned";
        }

        var uri = new Uri(url!, UriKind.Absolute);
        var what = $"{target.Name} ({target.Kind.ToString().ToLowerInvariant()} to {uri.Host})";
        var body = target.Kind == NotifyKind.Slack ? message.ToSlackJson() : message.ToWebhookJson();
        var delivery = Guid.NewGuid().ToString();
        var signature = secret is null ? null : "sha256=" + Convert.ToHexString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body)).ToLowerInvariant();
        // Everything said about a failure passes this: the whole URL, its escaped form, the key, the tokens.
        var redactor = new SecretRedactor([url, uri.AbsoluteUri, uri.PathAndQuery.Length > 1 ? uri.PathAndQuery : null, secret]);

        using var http = new HttpClient(new OriginBoundHandler(what, uri), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.UserAgent.ParseAdd("GitMirror");
        var pipeline = MirrorRetry.Create(what, new RedactingLog(log, redactor, tokens), retry);
        try
        {
            await pipeline.ExecuteAsync(async ct =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
                request.Headers.TryAddWithoutValidation(EventHeader, message.Event);
                request.Headers.TryAddWithoutValidation(DeliveryHeader, delivery);
                if (signature is not null) request.Headers.TryAddWithoutValidation(SignatureHeader, signature);
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
                if (TransportFailures.FromResponse(response, what, DateTimeOffset.UtcNow) is { } failure) throw failure;
                if (HttpOrigin.IsRedirect(response.StatusCode)) throw new GitTransportException(TransportFailureKind.Moved, $"{what}: redirected (HTTP {(int)response.StatusCode}); not followed");
            }, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            return tokens.Redact(redactor.Redact(e is GitTransportException or ForgeApiException ? e.Message : $"{what}: {e.Message}"));
        }
    }

    /// <summary>The retry policy's warnings quote the failure: they pass the same redaction.</summary>
    private sealed class RedactingLog(IMirrorLog inner, SecretRedactor redactor, SecretRedactor tokens) : IMirrorLog
    {
        public void Verbose(string message) => inner.Verbose(tokens.Redact(redactor.Redact(message))!);

        public void Warning(string message) => inner.Warning(tokens.Redact(redactor.Redact(message))!);
    }
}
