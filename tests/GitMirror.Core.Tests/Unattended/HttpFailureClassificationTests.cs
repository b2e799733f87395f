using System.Net;
using GitMirror.Core.Forges;
using GitMirror.Core.Transport;
using GitMirror.Core.Unattended;
using Xunit;

namespace GitMirror.Core.Tests.Unattended;

/// <summary>
/// The one reading of an HTTP failure (TransportFailures) that the git transport, git's own stderr,
/// the forge APIs and LFS share: one status, one kind, one reason, wherever it was answered.
/// </summary>
public class HttpFailureClassificationTests
{
    [Theory]
    [InlineData(401, TransportFailureKind.Authentication, "the server refused the token (HTTP 401)")]
    [InlineData(403, TransportFailureKind.Permission, "access denied (HTTP 403)")]
    [InlineData(404, TransportFailureKind.NotFound, "not found (HTTP 404), or the token cannot see it")]
    [InlineData(408, TransportFailureKind.Timeout, "timed out (HTTP 408)")]
    [InlineData(429, TransportFailureKind.RateLimited, "rate limited (HTTP 429)")]
    [InlineData(301, TransportFailureKind.Moved, "redirected (HTTP 301)")]
    [InlineData(308, TransportFailureKind.Moved, "redirected (HTTP 308)")]
    [InlineData(500, TransportFailureKind.Server, "server error (HTTP 500)")]
    [InlineData(503, TransportFailureKind.Server, "server error (HTTP 503)")]
    [InlineData(400, TransportFailureKind.Protocol, "unexpected answer (HTTP 400)")]
    [InlineData(304, TransportFailureKind.Protocol, "unexpected answer (HTTP 304)")]
    public void Each_status_has_one_kind_and_one_reason(int status, TransportFailureKind kind, string reason)
    {
        var (actualKind, actualReason) = TransportFailures.Classify(status);
        Assert.Equal(kind, actualKind);
        Assert.Contains(reason, actualReason);
    }

    /// <summary>A name that does not resolve or a refused connection is a wrong address: retrying cannot help.</summary>
    [Fact]
    public void An_address_that_cannot_answer_is_not_retried_but_a_reset_is()
    {
        var unresolved = TransportFailures.FromException(
            new HttpRequestException(HttpRequestError.NameResolutionError, "Name or service not known (nosuch.invalid:443)",
                new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.HostNotFound)), "GitHub org/app", default)!;
        Assert.Equal(TransportFailureKind.BadAddress, unresolved.Kind);
        Assert.False(unresolved.IsTransient);
        Assert.Contains("the host name does not resolve", unresolved.Message);

        var refused = TransportFailures.FromException(
            new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (127.0.0.1:9)",
                new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused)), "GitHub org/app", default)!;
        Assert.Equal(TransportFailureKind.BadAddress, refused.Kind);
        Assert.False(refused.IsTransient);

        var reset = TransportFailures.FromException(
            new HttpRequestException(HttpRequestError.ConnectionError, "Connection reset by peer",
                new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionReset)), "GitHub org/app", default)!;
        Assert.Equal(TransportFailureKind.Unreachable, reset.Kind);
        Assert.True(reset.IsTransient);
    }

    [Fact]
    public void A_401_without_a_token_asks_for_one_and_a_rate_limit_names_the_wait()
    {
        Assert.Equal("the server requires authentication (HTTP 401) and no token was given", TransportFailures.Classify(401, tokenSent: false).Reason);
        Assert.Equal("rate limited (HTTP 429); the server asks to wait 30 s", TransportFailures.Classify(429, retryAfter: TimeSpan.FromSeconds(30)).Reason);
    }

    [Theory]
    [InlineData(403, null, null, false)]
    [InlineData(403, "Retry-After", "60", true)]
    [InlineData(403, "x-ratelimit-remaining", "0", true)]
    [InlineData(403, "x-ratelimit-remaining", "12", false)]
    [InlineData(403, "RateLimit-Remaining", "0", true)]
    [InlineData(429, null, null, true)]
    [InlineData(401, "x-ratelimit-remaining", "0", false)]
    public void A_403_is_rate_limiting_only_when_the_headers_say_so(int status, string? header, string? value, bool rateLimited)
    {
        using var response = new HttpResponseMessage((HttpStatusCode)status);
        if (header is not null) response.Headers.TryAddWithoutValidation(header, value);
        Assert.Equal(rateLimited, TransportFailures.IsRateLimited(status, response.Headers));
        var failure = TransportFailures.ForStatus(response, "GitHub org/app", DateTimeOffset.UtcNow);
        Assert.Equal(rateLimited ? TransportFailureKind.RateLimited : TransportFailures.Classify(status).Kind, failure.Kind);
        Assert.StartsWith("GitHub org/app: ", failure.Message);
        Assert.Equal(status, failure.StatusCode);
    }

    [Fact]
    public void Retry_after_in_octokits_header_dictionary_reads_as_in_a_response()
    {
        var now = new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["retry-after"] = now.AddSeconds(42).ToString("R") };
        Assert.Equal(TimeSpan.FromSeconds(42), TransportFailures.RetryAfter(name => headers.GetValueOrDefault(name), now));
        Assert.Null(TransportFailures.RetryAfter(name => null, now));
        Assert.Equal(TimeSpan.Zero, TransportFailures.WaitUntil(now.AddSeconds(-3), now));
    }

    [Theory]
    [InlineData(401, false, ForgeFailureKind.Authentication)]
    [InlineData(403, false, ForgeFailureKind.Permission)]
    [InlineData(403, true, ForgeFailureKind.RateLimited)]
    [InlineData(404, false, ForgeFailureKind.NotFound)]
    [InlineData(409, false, ForgeFailureKind.Conflict)]
    [InlineData(422, false, ForgeFailureKind.Invalid)]
    [InlineData(400, false, ForgeFailureKind.Invalid)]
    [InlineData(429, false, ForgeFailureKind.RateLimited)]
    [InlineData(502, false, ForgeFailureKind.Server)]
    public void A_forge_api_reads_a_status_as_the_transport_does(int status, bool rateLimited, ForgeFailureKind kind) =>
        Assert.Equal(kind, ForgeApiException.KindOf((HttpStatusCode)status, rateLimited));

    [Theory]
    [InlineData("https://gitlab.example.com/g/p.git", false)]
    [InlineData("http://localhost:8080/x", true)]
    [InlineData("http://127.0.0.5/x", true)]
    [InlineData("http://[::1]:9000/x", true)]
    [InlineData("http://localhost.example.com/x", false)]
    [InlineData("http://10.0.0.1/x", false)]
    public void Loopback_is_by_name_or_literal_never_by_resolving(string url, bool loopback) =>
        Assert.Equal(loopback, HttpOrigin.IsLoopback(new Uri(url)));

    [Fact]
    public void A_redirect_target_is_resolved_against_the_request_and_only_for_redirects()
    {
        var requested = new Uri("https://git.example.com/g/p.git/info/refs?service=git-upload-pack");
        using var moved = new HttpResponseMessage(HttpStatusCode.MovedPermanently) { Headers = { Location = new Uri("/g/q.git/info/refs", UriKind.Relative) } };
        Assert.Equal(new Uri("https://git.example.com/g/q.git/info/refs"), HttpOrigin.RedirectTarget(moved, requested));
        using var created = new HttpResponseMessage(HttpStatusCode.Created) { Headers = { Location = new Uri("https://elsewhere.example.com/") } };
        Assert.Null(HttpOrigin.RedirectTarget(created, requested));
        Assert.Equal("https://git.example.com:443", HttpOrigin.OriginOf(requested));
    }
}
