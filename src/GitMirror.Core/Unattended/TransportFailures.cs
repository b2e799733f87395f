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
    public static GitTransportException? FromResponse(HttpResponseMessage response, string what, DateTimeOffset now)
    {
        var code = (int)response.StatusCode;
        if (code < 400) return null;
        var retryAfter = RetryAfter(response.Headers, now);
        // GitHub answers an exhausted rate limit with 403, not 429; the headers tell them apart.
        var rateLimited = code == 429 || (code == 403 && (retryAfter is not null || RateLimitExhausted(response.Headers)));
        return FromStatus(code, what, rateLimited, retryAfter, $"HTTP {code} {response.ReasonPhrase}".TrimEnd());
    }

    /// <summary>
    /// How long the server asked us to wait: Retry-After (seconds or a date), else, when the rate
    /// limit is used up, until GitHub's x-ratelimit-reset or GitLab's RateLimit-Reset (Unix seconds).
    /// </summary>
    public static TimeSpan? RetryAfter(HttpResponseHeaders headers, DateTimeOffset now)
    {
        if (headers.RetryAfter is { } retry)
        {
            if (retry.Delta is { } delta) return NotNegative(delta);
            if (retry.Date is { } date) return NotNegative(date - now);
        }
        foreach (var (remaining, reset) in RateLimitHeaders)
        {
            if (Header(headers, remaining) == "0" &&
                long.TryParse(Header(headers, reset), NumberStyles.None, CultureInfo.InvariantCulture, out var epoch))
            {
                return NotNegative(DateTimeOffset.FromUnixTimeSeconds(epoch) - now);
            }
        }
        return null;
    }

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
                return FromStatus((int)status, what, (int)status == 429, null, http.Message);
            case HttpRequestException http:
                return new GitTransportException(IsPermanent(http.HttpRequestError) ? TransportFailureKind.Protocol : TransportFailureKind.Unreachable,
                    $"{what}: {http.Message}", inner: error);
            case HttpIOException or SocketException:
            case IOException when HasInner<SocketException>(error):
                return new GitTransportException(TransportFailureKind.Unreachable, $"{what}: {error.Message}", inner: error);
            default:
                return null;
        }
    }

    private static GitTransportException FromStatus(int code, string what, bool rateLimited, TimeSpan? retryAfter, string detail)
    {
        var (kind, explanation) = code switch
        {
            _ when rateLimited => (TransportFailureKind.RateLimited, retryAfter is { } wait
                ? $"rate limited; the server asks to wait {wait.TotalSeconds:0} s"
                : "rate limited"),
            401 => (TransportFailureKind.Authentication, "the server refused the token"),
            403 => (TransportFailureKind.Permission, "the token lacks permission"),
            404 => (TransportFailureKind.NotFound, "not found, or the token cannot see it"),
            408 => (TransportFailureKind.Timeout, "the server timed out"),
            >= 500 => (TransportFailureKind.Server, "server error"),
            _ => (TransportFailureKind.Protocol, "unexpected answer"),
        };
        return new GitTransportException(kind, $"{what}: {explanation} ({detail}).", code, retryAfter);
    }

    private static readonly (string Remaining, string Reset)[] RateLimitHeaders =
    [
        ("x-ratelimit-remaining", "x-ratelimit-reset"),
        ("RateLimit-Remaining", "RateLimit-Reset"),
    ];

    private static bool RateLimitExhausted(HttpResponseHeaders headers) =>
        RateLimitHeaders.Any(h => Header(headers, h.Remaining) == "0");

    private static string? Header(HttpResponseHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault()?.Trim() : null;

    private static TimeSpan NotNegative(TimeSpan span) => span < TimeSpan.Zero ? TimeSpan.Zero : span;

    // Retrying cannot fix a bad certificate or a server that does not speak HTTP properly.
    private static bool IsPermanent(HttpRequestError error) => error is HttpRequestError.SecureConnectionError
        or HttpRequestError.InvalidResponse or HttpRequestError.UserAuthenticationError
        or HttpRequestError.ConfigurationLimitExceeded or HttpRequestError.VersionNegotiationError;

    private static bool HasInner<T>(Exception error) where T : Exception
    {
        for (var inner = error.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is T) return true;
        }
        return false;
    }
}
