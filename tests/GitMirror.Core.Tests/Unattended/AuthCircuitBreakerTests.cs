using GitMirror.Core.Transport;
using GitMirror.Core.Unattended;
using Xunit;

namespace GitMirror.Core.Tests.Unattended;

public class AuthCircuitBreakerTests
{
    [Fact]
    public void Opens_after_the_threshold_and_reports_one_error_per_host()
    {
        var breaker = new AuthCircuitBreaker(threshold: 3);
        Assert.False(breaker.RecordAuthenticationFailure("gitlab.com"));
        Assert.False(breaker.RecordAuthenticationFailure("gitlab.com"));
        Assert.False(breaker.ShouldSkip("gitlab.com", out var none));
        Assert.Null(none);

        Assert.True(breaker.RecordAuthenticationFailure("gitlab.com"));
        Assert.False(breaker.RecordAuthenticationFailure("gitlab.com"));
        Assert.True(breaker.IsOpen("GitLab.com"));

        Assert.True(breaker.ShouldSkip("gitlab.com", out var first));
        Assert.Equal(
            "Authentication failed 3 times on gitlab.com; skipping remaining pairs on gitlab.com to avoid an IP ban: " +
            "GitLab bans an IP after 30 failed authentications in 3 minutes. Check the token named by tokenEnv in repos.yaml.",
            first);
        Assert.True(breaker.ShouldSkip("gitlab.com", out var second));
        Assert.Null(second);
        Assert.Contains("skipping remaining pairs on gitlab.com", breaker.MessageFor("gitlab.com"));

        Assert.False(breaker.ShouldSkip("github.com", out _));
    }

    [Fact]
    public void Only_authentication_failures_count()
    {
        var breaker = new AuthCircuitBreaker(threshold: 1);
        Assert.False(breaker.Observe("h", new GitTransportException(TransportFailureKind.Permission, "403")));
        Assert.False(breaker.Observe("h", new GitTransportException(TransportFailureKind.Server, "502")));
        Assert.False(breaker.Observe("h", new IOException("disk")));
        Assert.False(breaker.IsOpen("h"));
        Assert.True(breaker.Observe("h", new GitTransportException(TransportFailureKind.Authentication, "401", 401)));
        Assert.True(breaker.IsOpen("h"));
    }

    [Fact]
    public void Parallel_failures_open_it_exactly_once()
    {
        var breaker = new AuthCircuitBreaker(threshold: 3);
        var opened = 0;
        Parallel.For(0, 200, _ =>
        {
            if (breaker.RecordAuthenticationFailure("gitlab.example.com")) Interlocked.Increment(ref opened);
        });
        var reported = 0;
        Parallel.For(0, 200, _ =>
        {
            if (breaker.ShouldSkip("gitlab.example.com", out var error) && error is not null) Interlocked.Increment(ref reported);
        });
        Assert.Equal(1, opened);
        Assert.Equal(1, reported);
    }

    [Theory]
    [InlineData("https://gitlab.com/myorg/repo1.git", "gitlab.com")]
    [InlineData("https://GitLab.com/api/v4", "gitlab.com")]
    [InlineData("http://127.0.0.1:8080/x.git", "127.0.0.1:8080")]
    [InlineData("https://ghe.example.com:443/x.git", "ghe.example.com")]
    [InlineData("/srv/git/repo.git", "local")]
    [InlineData("file:///srv/git/repo.git", "local")]
    public void Hosts_are_named_as_counted(string url, string host) => Assert.Equal(host, AuthCircuitBreaker.HostOf(url));

    [Fact]
    public void Threshold_must_be_positive() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new AuthCircuitBreaker(0));
}
