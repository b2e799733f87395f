using System.Diagnostics;
using System.Text;
using GitMirror.Core.Transport;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.Core.Tests.Transport;

public sealed class HttpRefListerTests : HttpRemoteTestBase
{
    private readonly HttpRefLister _lister = new();

    private Task<IReadOnlyDictionary<string, string>> ListAsync(GitCredential? credential = null, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default) =>
        _lister.ListAsync(RepoUrl, credential ?? Credential, timeout ?? GenerousTimeout, cancellationToken, "GitLab (team/repo)");

    [Fact]
    public async Task Lists_branches_and_tags_only_with_annotated_tags_unpeeled()
    {
        var main = Repo.Commit();
        var feature = Repo.Commit("feature");
        var lightweight = Repo.Tag("v1", main);
        var annotated = Repo.Tag("v2", feature, annotation: "release 2");
        RepoBuilder.SetRef(Repo.BarePath, "refs/pull/1/head", feature);
        RepoBuilder.SetRef(Repo.BarePath, "refs/merge-requests/1/head", feature);
        RepoBuilder.SetRef(Repo.BarePath, "refs/keep-around/" + feature, feature);

        var refs = await ListAsync();

        Assert.Equal(new Dictionary<string, string>
        {
            ["refs/heads/main"] = main,
            ["refs/heads/feature"] = feature,
            ["refs/tags/v1"] = lightweight,
            ["refs/tags/v2"] = annotated,
        }, refs);
        Assert.NotEqual(feature, annotated); // the tag object, not the commit it peels to
        Assert.All(Server.Requests, r => Assert.Equal("version=2", r.GitProtocol));
    }

    [Fact]
    public async Task Protocol_v2_transfers_far_less_than_a_v0_advertisement_of_2000_pull_refs()
    {
        var main = Repo.Commit();
        WritePullRefs(Repo.BarePath, main, count: 2000);
        var v0Bytes = ResponseBytesOf(() => Git.RunWithEnv(Dir.Path, GitHttpServer.GitAuthEnvironment("oauth2", Token),
            "-c", "protocol.version=0", "ls-remote", RepoUrl));

        IReadOnlyDictionary<string, string>? refs = null;
        var v2Bytes = ResponseBytesOf(() => refs = ListAsync().GetAwaiter().GetResult());

        Assert.Equal(new Dictionary<string, string> { ["refs/heads/main"] = main }, refs);
        Assert.True(v2Bytes * 20 < v0Bytes, $"v2 listing took {v2Bytes} bytes, the v0 advertisement {v0Bytes}");
    }

    [Fact]
    public async Task Parses_a_v0_advertisement_from_a_server_without_protocol_v2()
    {
        var main = Repo.Commit();
        var annotated = Repo.Tag("v1", main, annotation: "one");
        RepoBuilder.SetRef(Repo.BarePath, "refs/pull/7/head", main);
        Server.Intercept = context =>
        {
            context.Request.Headers.Remove("Git-Protocol"); // an old server ignores the header
            return Task.FromResult(false);
        };

        var refs = await ListAsync();

        Assert.Equal(new Dictionary<string, string> { ["refs/heads/main"] = main, ["refs/tags/v1"] = annotated }, refs);
        // The direct ls-refs is not understood (an empty answer), so the advertisement is read: v0 needs nothing more.
        Assert.Equal(["POST", "GET"], Server.Requests.Select(r => r.Method));
    }

    [Fact]
    public async Task A_listing_is_one_request_without_the_capability_advertisement()
    {
        var main = Repo.Commit();
        var tag = Repo.Tag("v1", main, annotation: "one");

        var refs = await ListAsync();

        Assert.Equal(new Dictionary<string, string> { ["refs/heads/main"] = main, ["refs/tags/v1"] = tag }, refs);
        var request = Assert.Single(Server.Requests);
        Assert.Equal(("POST", "/team/repo.git/git-upload-pack", "version=2"), (request.Method, request.PathAndQuery, request.GitProtocol));
    }

    [Theory]
    [InlineData(400)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(500)]
    public async Task A_server_that_refuses_the_direct_listing_is_asked_the_way_git_asks(int status)
    {
        var main = Repo.Commit();
        Server.Intercept = context =>
        {
            // Only a POST that no advertisement came before is refused.
            if (context.Request.Method != "POST" || Server.Requests.Any(r => r.Method == "GET")) return Task.FromResult(false);
            context.Response.StatusCode = status;
            return Task.FromResult(true);
        };

        var refs = await ListAsync();

        Assert.Equal(new Dictionary<string, string> { ["refs/heads/main"] = main }, refs);
        Assert.Equal(["POST", "GET", "POST"], Server.Requests.Select(r => r.Method));
    }

    [Fact]
    public async Task An_empty_repository_has_no_refs()
    {
        Git.Run(Dir.Path, "init", "--bare", "--quiet", Dir.Combine("root", "team", "empty.git"));

        var refs = await _lister.ListAsync(Server.UrlOf("team/empty"), Credential, GenerousTimeout, CancellationToken.None);

        Assert.Empty(refs);
    }

    [Fact]
    public async Task A_wrong_token_fails_after_one_request_without_revealing_it()
    {
        Repo.Commit();
        const string wrongToken = "canary-wrong-token-31c9";

        var failure = await Assert.ThrowsAsync<GitTransportException>(() => ListAsync(GitCredential.ForGitLab(wrongToken)));

        Assert.Equal(TransportFailureKind.Authentication, failure.Kind);
        Assert.Equal(401, failure.StatusCode);
        Assert.Contains("GitLab (team/repo)", failure.Message);
        Assert.DoesNotContain(wrongToken, failure.ToString());
        Assert.Single(Server.Requests);
        Assert.Equal(1, Server.AuthFailures);
    }

    [Fact]
    public async Task A_missing_repository_is_NotFound()
    {
        var failure = await Assert.ThrowsAsync<GitTransportException>(() =>
            _lister.ListAsync(Server.UrlOf("team/missing"), Credential, GenerousTimeout, CancellationToken.None));

        Assert.Equal(TransportFailureKind.NotFound, failure.Kind);
    }

    [Fact]
    public async Task A_server_error_is_Server_and_transient()
    {
        AnswerEveryRequest(500);

        var failure = await Assert.ThrowsAsync<GitTransportException>(() => ListAsync());

        Assert.Equal(TransportFailureKind.Server, failure.Kind);
        Assert.Equal(500, failure.StatusCode);
        Assert.True(failure.IsTransient);
    }

    [Fact]
    public async Task Too_many_requests_is_RateLimited_with_the_servers_Retry_After()
    {
        AnswerEveryRequest(429, retryAfter: "120");

        var failure = await Assert.ThrowsAsync<GitTransportException>(() => ListAsync());

        Assert.Equal(TransportFailureKind.RateLimited, failure.Kind);
        Assert.Equal(TimeSpan.FromSeconds(120), failure.RetryAfter);
    }

    [Fact]
    public async Task A_server_that_never_answers_times_out()
    {
        HangEveryRequest();
        var clock = Stopwatch.StartNew();

        var failure = await Assert.ThrowsAsync<GitTransportException>(() => ListAsync(timeout: TimeSpan.FromSeconds(2)));

        Assert.Equal(TransportFailureKind.Timeout, failure.Kind);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Cancellation_stops_a_hanging_listing()
    {
        HangEveryRequest();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ListAsync(cancellationToken: cancel.Token));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
    }

    /// <summary>Adds pull refs through packed-refs: 2,000 update-ref processes would take minutes.</summary>
    private static void WritePullRefs(string barePath, string sha, int count)
    {
        var lines = new StringBuilder("# pack-refs with: peeled fully-peeled sorted \n");
        foreach (var name in Enumerable.Range(1, count).Select(n => $"refs/pull/{n}/head").Order(StringComparer.Ordinal))
        {
            lines.Append(sha).Append(' ').Append(name).Append('\n');
        }
        File.WriteAllText(Path.Combine(barePath, "packed-refs"), lines.ToString());
        Assert.Equal(count, Git.Run(barePath, "for-each-ref", "refs/pull/").Split('\n').Length);
    }

    private long ResponseBytesOf(Action operation)
    {
        Server.ClearRequests();
        operation();
        return Server.Requests.Sum(r => r.ResponseBytes);
    }
}
