using System.Net;
using System.Net.Sockets;
using GitMirror.Core.Tests.Report;
using GitMirror.Core.Transport;
using GitMirror.Core.Unattended;
using Polly;
using Xunit;
using Reply = GitMirror.Core.Tests.Unattended.ScriptedHttpServer.Reply;

namespace GitMirror.Core.Tests.Unattended;

public class MirrorRetryTests
{
    private const string What = "GitLab myorg/repo1";

    private static readonly HttpClient Client = new();

    [Fact]
    public async Task A_server_error_is_retried_until_it_answers()
    {
        await using var server = await ScriptedHttpServer.StartAsync(new Reply(500), new Reply(503), new Reply(200, "refs"));
        var log = new ListLog();
        var clock = new InstantTimeProvider();

        var body = await Pipeline(log, clock).ExecuteAsync(ct => GetAsync(server.Url, ct), CancellationToken.None);

        Assert.Equal("refs", body);
        Assert.Equal(3, server.Requests);
        Assert.Equal(2, log.Warnings.Count);
        Assert.StartsWith("GitLab myorg/repo1: server error (HTTP 500", log.Warnings[0]);
        Assert.Contains("(attempt 2 of 4)", log.Warnings[0]);
        Assert.Contains("(attempt 3 of 4)", log.Warnings[1]);
        // Exponential with jitter: each delay between half and all of BaseDelay·2^n.
        Assert.InRange(clock.Delays[0], TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(1));
        Assert.InRange(clock.Delays[1], TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task Rate_limited_with_retry_after_waits_as_asked()
    {
        await using var server = await ScriptedHttpServer.StartAsync(new Reply(429, Headers: ("Retry-After", "7")), new Reply(200, "ok"));
        var clock = new InstantTimeProvider();

        Assert.Equal("ok", await Pipeline(new ListLog(), clock).ExecuteAsync(ct => GetAsync(server.Url, ct), CancellationToken.None));
        Assert.Equal(2, server.Requests);
        Assert.Equal([TimeSpan.FromSeconds(7)], clock.Delays);
    }

    [Fact]
    public async Task Rate_limited_without_retry_after_backs_off()
    {
        await using var server = await ScriptedHttpServer.StartAsync(new Reply(429), new Reply(429), new Reply(200, "ok"));
        var clock = new InstantTimeProvider();

        Assert.Equal("ok", await Pipeline(new ListLog(), clock).ExecuteAsync(ct => GetAsync(server.Url, ct), CancellationToken.None));
        Assert.Equal(3, server.Requests);
        Assert.Equal(2, clock.Delays.Count);
        Assert.True(clock.Delays[1] > clock.Delays[0] / 2);
    }

    [Fact]
    public async Task A_wait_longer_than_the_bound_is_not_retried_and_says_how_long()
    {
        // GitHub's exhausted rate limit: 403 and a reset an hour away.
        var reset = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds().ToString();
        await using var server = await ScriptedHttpServer.StartAsync(
            new Reply(403, Headers: [("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", reset)]));
        var log = new ListLog();

        var error = await Assert.ThrowsAsync<GitTransportException>(async () =>
            await Pipeline(log, new InstantTimeProvider()).ExecuteAsync(ct => GetAsync(server.Url, ct), CancellationToken.None));

        Assert.Equal(1, server.Requests);
        Assert.Equal(TransportFailureKind.RateLimited, error.Kind);
        Assert.InRange(error.RetryAfter!.Value, TimeSpan.FromMinutes(55), TimeSpan.FromMinutes(61));
        Assert.Contains(log.VerboseLines, l => l.Contains("not retrying"));
    }

    [Theory]
    [InlineData(401, TransportFailureKind.Authentication)]
    [InlineData(403, TransportFailureKind.Permission)]
    [InlineData(404, TransportFailureKind.NotFound)]
    public async Task Refusals_are_never_retried(int status, TransportFailureKind kind)
    {
        await using var server = await ScriptedHttpServer.StartAsync(new Reply(status), new Reply(200));
        var log = new ListLog();

        var error = await Assert.ThrowsAsync<GitTransportException>(async () =>
            await Pipeline(log, new InstantTimeProvider()).ExecuteAsync(ct => GetAsync(server.Url, ct), CancellationToken.None));

        Assert.Equal(kind, error.Kind);
        Assert.Equal(status, error.StatusCode);
        Assert.Equal(1, server.Requests);
        Assert.Empty(log.Warnings);
    }

    [Fact]
    public async Task A_server_that_never_answers_times_out_each_attempt_then_fails_with_timeout()
    {
        await using var server = await ScriptedHttpServer.StartAsync(Reply.NoAnswer);
        var log = new ListLog();
        var pipeline = MirrorRetry.Create(What, log, new MirrorRetryOptions
        {
            MaxAttempts = 3,
            BaseDelay = TimeSpan.FromMilliseconds(1),
            AttemptTimeout = TimeSpan.FromMilliseconds(200),
        });

        var attempts = 0;
        var error = await Assert.ThrowsAsync<GitTransportException>(async () =>
            await pipeline.ExecuteAsync(ct =>
            {
                Interlocked.Increment(ref attempts);
                return GetAsync(server.Url, ct);
            }, CancellationToken.None));

        Assert.Equal(TransportFailureKind.Timeout, error.Kind);
        Assert.StartsWith("GitLab myorg/repo1: no answer within 0.2 s", error.Message);
        // Counted where the attempts start: on a loaded machine an attempt can time out before its
        // request reaches the server's handler, so the server may have seen fewer.
        Assert.Equal(3, attempts);
        Assert.InRange(server.Requests, 1, 3);
        Assert.Equal(2, log.Warnings.Count);
    }

    [Fact]
    public async Task Connection_refused_is_not_retried_it_is_a_wrong_address()
    {
        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        var log = new ListLog();

        var error = await Assert.ThrowsAsync<GitTransportException>(async () =>
            await Pipeline(log, new InstantTimeProvider()).ExecuteAsync(ct => GetAsync(new Uri($"http://127.0.0.1:{port}/"), ct), CancellationToken.None));

        Assert.Equal(TransportFailureKind.BadAddress, error.Kind);
        Assert.StartsWith(What, error.Message);
        Assert.Contains("nothing accepts connections there", error.Message);
        Assert.IsType<HttpRequestException>(error.InnerException);
        Assert.Empty(log.Warnings);
    }

    [Fact]
    public async Task Cancelling_stops_at_once_and_is_not_a_transport_failure()
    {
        await using var server = await ScriptedHttpServer.StartAsync(Reply.NoAnswer);
        using var cancel = new CancellationTokenSource();
        var log = new ListLog();
        var pipeline = Pipeline(log, TimeProvider.System);

        var running = pipeline.ExecuteAsync(ct => GetAsync(server.Url, ct), cancel.Token).AsTask();
        while (server.Requests == 0) await Task.Delay(10);
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        Assert.Equal(1, server.Requests);
        Assert.Empty(log.Warnings);
    }

    [Fact]
    public async Task Other_exceptions_are_neither_retried_nor_wrapped()
    {
        var calls = 0;
        var pipeline = Pipeline(new ListLog(), new InstantTimeProvider());
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await pipeline.ExecuteAsync<int>(_ =>
        {
            calls++;
            throw new InvalidOperationException("a bug");
        }, CancellationToken.None));
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task The_total_wait_is_bounded()
    {
        var clock = new InstantTimeProvider();
        var pipeline = MirrorRetry.Create(What, new ListLog(), new MirrorRetryOptions
        {
            MaxAttempts = 10,
            BaseDelay = TimeSpan.FromSeconds(4),
            MaxTotalDelay = TimeSpan.FromSeconds(10),
            TimeProvider = clock,
        });
        var calls = 0;
        await Assert.ThrowsAsync<GitTransportException>(async () => await pipeline.ExecuteAsync<int>(_ =>
        {
            calls++;
            throw new GitTransportException(TransportFailureKind.Server, "502", 502);
        }, CancellationToken.None));

        Assert.True(calls < 10, $"{calls} attempts");
        // The last wait is cut to what is left of the budget (timers round to milliseconds).
        Assert.InRange(clock.Delays.Aggregate(TimeSpan.Zero, (a, b) => a + b), TimeSpan.FromSeconds(9.9), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Retry_after_is_read_from_the_headers()
    {
        var now = new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal(TimeSpan.FromSeconds(120), RetryAfter(now, ("Retry-After", "120")));
        Assert.Equal(TimeSpan.FromSeconds(30), RetryAfter(now, ("Retry-After", now.AddSeconds(30).ToString("R"))));
        Assert.Equal(TimeSpan.FromSeconds(90), RetryAfter(now, ("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", now.AddSeconds(90).ToUnixTimeSeconds().ToString())));
        Assert.Equal(TimeSpan.FromSeconds(45), RetryAfter(now, ("RateLimit-Remaining", "0"), ("RateLimit-Reset", now.AddSeconds(45).ToUnixTimeSeconds().ToString())));
        // A reset is only a delay when the limit is used up; a reset in the past means now.
        Assert.Null(RetryAfter(now, ("x-ratelimit-remaining", "12"), ("x-ratelimit-reset", now.AddSeconds(90).ToUnixTimeSeconds().ToString())));
        Assert.Equal(TimeSpan.Zero, RetryAfter(now, ("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", now.AddSeconds(-5).ToUnixTimeSeconds().ToString())));
        Assert.Null(RetryAfter(now));
    }

    private static TimeSpan? RetryAfter(DateTimeOffset now, params (string Name, string Value)[] headers)
    {
        using var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        foreach (var (name, value) in headers) response.Headers.TryAddWithoutValidation(name, value);
        return TransportFailures.RetryAfter(response.Headers, now);
    }

    private static ResiliencePipeline Pipeline(ListLog log, TimeProvider clock) =>
        MirrorRetry.Create(What, log, new MirrorRetryOptions { TimeProvider = clock });

    /// <summary>What a forge client does: a typed failure for a non-success answer.</summary>
    private static async ValueTask<string> GetAsync(Uri url, CancellationToken cancellationToken)
    {
        using var response = await Client.GetAsync(url, cancellationToken);
        if (TransportFailures.FromResponse(response, What, DateTimeOffset.UtcNow) is { } failure) throw failure;
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    /// <summary>Fires every timer at once and remembers what it was asked to wait: the delays are asserted, never waited.</summary>
    private sealed class InstantTimeProvider : TimeProvider
    {
        private readonly List<TimeSpan> _delays = [];

        public List<TimeSpan> Delays { get { lock (_delays) return _delays.ToList(); } }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            lock (_delays) _delays.Add(dueTime);
            return base.CreateTimer(callback, state, TimeSpan.Zero, period);
        }
    }
}
