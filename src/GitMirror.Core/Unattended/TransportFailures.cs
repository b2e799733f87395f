using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Sockets;
using GitMirror.Core.Transport;
using Polly.Timeout;

namespace GitMirror.Core.Unattended;

/// <summary>
/// Turns HTTP answers and network exceptions into <see cref="GitTransportException"/>, whose Kind
/// decides whether <see cref="MirrorRetry"/> tries again. <c>what</c> names the side and
/// repository ("GitLab myorg/repo1") and must not hold a token or a URL with credentials.
/// </summary>
public static class TransportFailures
{
    /// <summary>The failure an HTTP response stands for; null for a success (2xx/3xx).</summary>
    public static GitTransportException? FromResponse(HttpResponseMessage response, string what, DateTimeOffset now) =>
        (int)response.StatusCode < 400 ? null : ForStatus(response, what, now);

    /// <summary>
    /// The failure a response that is not a success stands for (any status but 2xx, a redirect
    /// included): "<paramref name="what"/>: reason (HTTP nnn)." with its kind and Retry-After.
    /// </summary>
    /// <param name="tokenSent">false when the request went without a token: a 401 then asks for one rather than refusing it.</param>
    public static GitTransportException ForStatus(HttpResponseMessage response, string what, DateTimeOffset now, bool tokenSent = true)
    {
        var code = (int)response.StatusCode;
        var retryAfter = RetryAfter(response.Headers, now);
        var (kind, reason) = Classify(code, IsRateLimited(code, response.Headers), retryAfter, tokenSent);
        return new GitTransportException(kind, $"{what}: {reason}.", code, retryAfter);
    }

    /// <summary>
    /// The one reading of an HTTP failure status, for the git transport, the forge APIs, LFS and the
    /// status git itself reports: the kind of failure (which decides retrying and the ErrorId) and
    /// the reason in words, ending with the status.
    /// </summary>
    /// <param name="rateLimited">The headers say the rate limit is used up (<see cref="IsRateLimited"/>); a 429 always is.</param>
    /// <param name="retryAfter">How long the server asked us to wait, named in a rate limit's reason.</param>
    /// <param name="tokenSent">false when the request went without a token.</param>
    public static (TransportFailureKind Kind, string Reason) Classify(int status, bool rateLimited = false, TimeSpan? retryAfter = null, bool tokenSent = true) => status switch
    {
        _ when rateLimited || status == 429 => (TransportFailureKind.RateLimited, retryAfter is { } wait
            ? $"rate limited (HTTP {status}); the server asks to wait {wait.TotalSeconds:0} s"
            : $"rate limited (HTTP {status})"),
        401 => (TransportFailureKind.Authentication, tokenSent
            ? "the server refused the token (HTTP 401)"
            : "the server requires authentication (HTTP 401) and no token was given"),
        403 => (TransportFailureKind.Permission, "access denied (HTTP 403); the token may lack a scope or access to it"),
        404 => (TransportFailureKind.NotFound, "not found (HTTP 404), or the token cannot see it"),
        408 => (TransportFailureKind.Timeout, "the server timed out (HTTP 408)"),
        _ when HttpOrigin.IsRedirect((System.Net.HttpStatusCode)status) => (TransportFailureKind.Moved, $"redirected (HTTP {status})"),
        >= 500 => (TransportFailureKind.Server, $"server error (HTTP {status})"),
        _ => (TransportFailureKind.Protocol, $"unexpected answer (HTTP {status})"),
    };

    /// <summary>
    /// A 429, or GitHub's way of saying the same: a 403 with Retry-After or a used-up rate limit
    /// (x-ratelimit-remaining: 0); any other 403 is a missing permission.
    /// </summary>
    public static bool IsRateLimited(int status, HttpResponseHeaders headers) =>
        status == 429 || (status == 403 && (headers.RetryAfter is not null || RateLimitHeaders.Any(h => Header(headers, h.Remaining) == "0")));

    /// <summary>
    /// How long the server asked us to wait: Retry-After (seconds or a date), else, when the rate
    /// limit is used up, until GitHub's x-ratelimit-reset or GitLab's RateLimit-Reset (Unix seconds).
    /// </summary>
    public static TimeSpan? RetryAfter(HttpResponseHeaders headers, DateTimeOffset now) => RetryAfter(name => Header(headers, name), now);

    /// <inheritdoc cref="RetryAfter(HttpResponseHeaders, DateTimeOffset)"/>
    /// <param name="header">The first value of a response header by name (case-insensitive), or null: for clients that keep headers their own way (Octokit).</param>
    public static TimeSpan? RetryAfter(Func<string, string?> header, DateTimeOffset now)
    {
        if (RetryConditionHeaderValue.TryParse(header("Retry-After"), out var retry))
        {
            if (retry.Delta is { } delta) return NotNegative(delta);
            if (retry.Date is { } date) return WaitUntil(date, now);
        }
        foreach (var (remaining, reset) in RateLimitHeaders)
        {
            if (header(remaining)?.Trim() == "0" &&
                long.TryParse(header(reset)?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var epoch))
            {
                return WaitUntil(DateTimeOffset.FromUnixTimeSeconds(epoch), now);
            }
        }
        return null;
    }

    /// <summary>The wait until <paramref name="when"/>; zero when it has passed.</summary>
    public static TimeSpan WaitUntil(DateTimeOffset when, DateTimeOffset now) => NotNegative(when - now);

    /// <summary>
    /// The network failure an exception stands for; null when it is none (a bug, a disk error, or
    /// the caller's cancellation), which then propagates unchanged and is never retried.
    /// </summary>
    public static GitTransportException? FromException(Exception error, string what, CancellationToken callerToken)
    {
        switch (error)
        {
            case GitTransportException typed:
                return typed;
            case TimeoutRejectedException timeout:
                return new GitTransportException(TransportFailureKind.Timeout,
                    $"{what}: no answer within {timeout.Timeout.TotalSeconds:0.###} s.", inner: error);
            case OperationCanceledException when !callerToken.IsCancellationRequested:
                // HttpClient.Timeout surfaces as a TaskCanceledException nobody asked for.
                return new GitTransportException(TransportFailureKind.Timeout, $"{what}: the request timed out.", inner: error);
            case HttpRequestException http when http.StatusCode is { } status:
                var (kind, reason) = Classify((int)status);
                return new GitTransportException(kind, $"{what}: {reason}.", (int)status, inner: error);
            case HttpRequestException http when BadAddress(http) is { } unreachable:
                return new GitTransportException(TransportFailureKind.BadAddress, $"{what}: {unreachable}.", inner: error);
            case HttpRequestException http:
                return new GitTransportException(IsPermanent(http.HttpRequestError) ? TransportFailureKind.Protocol : TransportFailureKind.Unreachable,
                    $"{what}: {http.Message}", inner: error);
            case SocketException or IOException when BadAddress(error) is { } refused:
                return new GitTransportException(TransportFailureKind.BadAddress, $"{what}: {refused}.", inner: error);
            case HttpIOException or SocketException:
            case IOException when HasInner<SocketException>(error):
                return new GitTransportException(TransportFailureKind.Unreachable, $"{what}: {error.Message}", inner: error);
            default:
                return null;
        }
    }

    /// <summary>
    /// Why a connection could not even start, when retrying cannot help: the host name does not
    /// resolve, or the address refuses connections. Null for any other failure.
    /// </summary>
    public static string? BadAddress(Exception error)
    {
        var socket = error as SocketException ?? Inner<SocketException>(error);
        if (error is HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError }
            || socket?.SocketErrorCode is SocketError.HostNotFound or SocketError.NoData)
        {
            return $"the host name does not resolve ({socket?.Message ?? error.Message})";
        }
        return socket?.SocketErrorCode == SocketError.ConnectionRefused
            ? $"nothing accepts connections there ({socket.Message})"
            : null;
    }

    private static readonly (string Remaining, string Reset)[] RateLimitHeaders =
    [
        ("x-ratelimit-remaining", "x-ratelimit-reset"),
        ("RateLimit-Remaining", "RateLimit-Reset"),
    ];

    private static string? Header(HttpResponseHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault()?.Trim() : null;

    private static TimeSpan NotNegative(TimeSpan span) => span < TimeSpan.Zero ? TimeSpan.Zero : span;

    // Retrying cannot fix a bad certificate or a server that does not speak HTTP properly.
    private static bool IsPermanent(HttpRequestError error) => error is HttpRequestError.SecureConnectionError
        or HttpRequestError.InvalidResponse or HttpRequestError.UserAuthenticationError
        or HttpRequestError.ConfigurationLimitExceeded or HttpRequestError.VersionNegotiationError;

    private static bool HasInner<T>(Exception error) where T : Exception => Inner<T>(error) is not null;

    private static T? Inner<T>(Exception error) where T : Exception
    {
        for (var inner = error.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is T found) return found;
        }
        return null;
    }
}
