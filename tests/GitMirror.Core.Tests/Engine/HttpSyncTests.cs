using GitMirror.Core.Config;
using GitMirror.Core.Engine;
using GitMirror.Core.Observe;
using GitMirror.Core.Transport;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.Core.Tests.Engine;

/// <summary>The engine against a real smart-HTTP server: auth, hooks, leases and what crosses the wire.</summary>
public sealed class HttpSyncTests : IDisposable
{
    private readonly HttpMirrorWorld _http = new();
    private readonly MirrorWorld _world;
    private readonly GitHttpServer _server;
    private readonly string _githubToken;
    private readonly string _gitlabToken;

    public HttpSyncTests()
    {
        (_world, _server, _githubToken, _gitlabToken) = (_http.World, _http.Server, _http.GitHubToken, _http.GitLabToken);
    }

    public void Dispose() => _http.Dispose();

    private MirrorPair Pair(string name) => ConfigLoader.Load(_world.ConfigPath).Pairs.Single(p => p.Name == name);

    private static Task<SyncOutcome> Sync(MirrorPair pair) =>
        new MirrorEngine(NullMirrorLog.Instance).SyncAsync(pair, _ => true, CancellationToken.None);

    private void AssertNoCanary(string? text)
    {
        if (text is null) return;
        Assert.DoesNotContain(_githubToken, text);
        Assert.DoesNotContain(_gitlabToken, text);
        Assert.DoesNotContain("CANARY", text);
    }

    [Fact]
    public async Task Syncs_over_http_and_a_no_op_poll_transfers_no_pack()
    {
        var (github, gitlab) = _world.AddPair("app");
        var main = github.Commits(3);
        github.Tag("v1", main, "annotated");
        RepoBuilder.SetRef(github.BarePath, "refs/pull/1/head", main);

        var first = await Sync(Pair("app"));
        Assert.Equal(MirrorSyncStatus.Synced, first.Result.Status);
        Assert.Equal(RepoBuilder.Refs(github.BarePath).Where(r => !r.Key.StartsWith("refs/pull/")).OrderBy(r => r.Key),
            RepoBuilder.Refs(gitlab.BarePath).OrderBy(r => r.Key));

        _server.ClearRequests();
        var poll = await Sync(Pair("app"));

        Assert.Equal(MirrorSyncStatus.UpToDate, poll.Result.Status);
        var requests = _server.Requests;
        // Per side one protocol v2 ls-refs command, without the advertisement before it. No fetch, no push.
        Assert.Equal(2, requests.Count);
        Assert.All(requests, r => Assert.Equal(("POST", "git-upload-pack"), (r.Method, r.Service)));
        Assert.All(requests, r => Assert.True(r.ResponseBytes < 2048, $"{r.PathAndQuery} sent {r.ResponseBytes} bytes"));
    }

    [Fact]
    public async Task A_ref_the_server_rejects_fails_the_pair_with_the_servers_message()
    {
        var (github, gitlab) = _world.AddPair("app");
        github.Commits(1);
        github.Commit("protected");
        var hook = Path.Combine(gitlab.BarePath, "hooks", "update");
        File.WriteAllText(hook, "#!/bin/sh\ncase \"$1\" in refs/heads/protected) echo 'protected branch' >&2; exit 1;; esac\nexit 0\n");
        // git on Windows runs hooks without an executable bit.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var outcome = await Sync(Pair("app"));

        Assert.Equal(MirrorSyncStatus.Failed, outcome.Result.Status);
        var rejected = Assert.Single(outcome.Result.Updates, u => !u.Succeeded);
        Assert.Equal("refs/heads/protected", rejected.Ref);
        Assert.Contains("rejected by GitLab (group/app)", rejected.Message);
        Assert.Contains("hook declined", rejected.Message);
        Assert.Contains(outcome.Result.Updates, u => u.Ref == "refs/heads/main" && u.Succeeded);
        Assert.DoesNotContain("refs/heads/protected", RepoBuilder.Refs(gitlab.BarePath).Keys);
    }

    [Fact]
    public async Task A_target_that_already_got_our_commit_from_someone_else_is_success_not_a_conflict()
    {
        var (github, gitlab) = _world.AddPair("app");
        var behind = github.Commits(1);
        Assert.Equal(MirrorSyncStatus.Synced, (await Sync(Pair("app"))).Result.Status);
        var ahead = github.Commit("main");
        // The CI job pushes the same commit to GitLab after we read GitLab's refs, before our push.
        _server.Intercept = context =>
        {
            if (context.Request.Path.Value!.Contains("/gitlab/") && context.Request.QueryString.Value == "?service=git-receive-pack")
            {
                Git.Run(gitlab.BarePath, "fetch", "--quiet", github.BarePath, $"{ahead}:refs/heads/main");
            }
            return Task.FromResult(false);
        };

        var outcome = await Sync(Pair("app"));

        Assert.Equal(MirrorSyncStatus.Synced, outcome.Result.Status);
        var update = Assert.Single(outcome.Result.Updates);
        Assert.Equal((true, behind, ahead, "already on GitLab"), (update.Succeeded, update.OldSha, update.NewSha, update.Message));
        Assert.Equal(ahead, Git.Run(gitlab.BarePath, "rev-parse", "refs/heads/main"));
    }

    [Fact]
    public async Task A_wrong_token_fails_the_pair_after_one_attempt_naming_side_and_variable()
    {
        var (github, _) = _world.AddPair("app");
        github.Commits(1);
        Environment.SetEnvironmentVariable(_world.GitLabTokenEnv, "glpat-CANARY-wrong");

        var outcome = await Sync(Pair("app"));

        Assert.Equal(MirrorSyncStatus.Failed, outcome.Result.Status);
        var failure = Assert.IsType<GitTransportException>(outcome.Failure);
        Assert.Equal(TransportFailureKind.Authentication, failure.Kind);
        Assert.Contains("GitLab (group/app)", outcome.Result.Error);
        Assert.Contains(_world.GitLabTokenEnv, outcome.Result.Error);
        Assert.Equal(1, _server.AuthFailures);
        AssertNoCanary(outcome.Result.Error);
        AssertNoCanary(outcome.Failure?.ToString());
    }

    [Fact]
    public async Task A_missing_token_variable_fails_before_any_request()
    {
        _world.AddPair("app");
        Environment.SetEnvironmentVariable(_world.GitHubTokenEnv, null);

        var outcome = await Sync(Pair("app"));

        Assert.Equal(MirrorSyncStatus.Failed, outcome.Result.Status);
        Assert.Contains($"the environment variable {_world.GitHubTokenEnv} is not set", outcome.Result.Error);
        Assert.DoesNotContain(_server.Requests, r => r.PathAndQuery.Contains("/github/"));
    }

    [Fact]
    public async Task An_unreachable_remote_fails_the_pair_quickly_and_typed()
    {
        _world.AddPair("app");
        _world.GitLabUrl = "http://127.0.0.1:9/gitlab"; // the discard port: nothing listens
        _world.WriteConfig();

        var outcome = await Sync(Pair("app"));

        Assert.Equal(MirrorSyncStatus.Failed, outcome.Result.Status);
        // Nothing listens there: a wrong address, failed at once and never retried.
        Assert.Equal(TransportFailureKind.BadAddress, Assert.IsType<GitTransportException>(outcome.Failure).Kind);
        Assert.Contains("GitLab (group/app)", outcome.Result.Error);
        Assert.Contains("check 'gitlab.url'", outcome.Result.Error);
    }

    [Fact]
    public async Task The_token_never_reaches_urls_the_cache_config_or_results()
    {
        var (github, _) = _world.AddPair("app");
        github.Commits(2);

        var outcome = await Sync(Pair("app"));

        Assert.Equal(MirrorSyncStatus.Synced, outcome.Result.Status);
        Assert.All(_server.Requests, r => AssertNoCanary(r.PathAndQuery));
        foreach (var file in Directory.EnumerateFiles(_world.CachePath, "*", SearchOption.AllDirectories)
                     .Where(f => !f.Contains("objects")))
        {
            AssertNoCanary(File.ReadAllText(file));
        }
        AssertNoCanary(string.Join("\n", outcome.Result.Updates.Select(u => u.ToString())));
        using var cache = MirrorCache.Open(Pair("app"));
        Assert.Equal(_server.BaseUrl + "/gitlab/group/app.git", cache.Repository.Network.Remotes["gitlab"].Url);
    }
}
