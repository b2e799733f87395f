using System.Diagnostics;
using GitMirror.Core.Transport;
using GitMirror.Testing;
using LibGit2Sharp;
using Microsoft.AspNetCore.Http;
using Xunit;

namespace GitMirror.Core.Tests.Transport;

/// <summary>LibGit2Sharp fetches and pushes through the HttpClient subtransport.</summary>
public sealed class HttpSmartSubtransportTests : HttpRemoteTestBase
{
    private const string Remote = "GitLab (team/repo)";
    private static readonly string[] MirrorRefspecs = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"];

    private Repository NewCache(string url)
    {
        var cache = new Repository(Repository.Init(Dir.Combine("cache-" + Guid.NewGuid().ToString("N")[..6]), isBare: true));
        cache.Network.Remotes.Add("origin", url);
        return cache;
    }

    private static void Fetch(Repository cache, GitCredential? credential, TimeSpan timeout, CancellationToken cancel = default)
    {
        using var scope = TransportScope.Begin(credential, timeout, cancel, Remote);
        scope.Run(() => Commands.Fetch(cache, "origin", MirrorRefspecs, new FetchOptions { TagFetchMode = TagFetchMode.None }, null));
    }

    [Fact]
    public void Fetches_branches_and_annotated_tags_with_a_token()
    {
        var main = Repo.Commit();
        Repo.Commit("feature");
        Repo.Tag("v1", main, annotation: "one");
        using var cache = NewCache(RepoUrl);

        using (var scope = TransportScope.Begin(Credential, GenerousTimeout, CancellationToken.None, Remote))
        {
            scope.Run(() => Commands.Fetch(cache, "origin", MirrorRefspecs, new FetchOptions(), null));
            Assert.True(scope.BytesReceived > 0);
            Assert.True(scope.BytesSent > 0);
            Assert.Equal(Server.Requests.Count, scope.Requests);
            Assert.Null(scope.Failure);
        }

        // libgit2 also updates refs/remotes/origin/* from the remote's configured refspec; compare what was asked for.
        var fetched = RepoBuilder.Refs(cache.Info.Path).Where(r => !r.Key.StartsWith("refs/remotes/", StringComparison.Ordinal));
        Assert.Equal(RepoBuilder.Refs(Repo.BarePath), fetched.ToDictionary());
        Assert.All(Server.Requests, r => Assert.Equal("oauth2", r.AuthorizationUser));
        Assert.Equal(0, Server.AuthFailures);
        Assert.Null(TransportScope.Current);
    }

    [Fact]
    public void Pushes_explicit_refspecs_with_a_token()
    {
        var main = Repo.Commit();
        var tag = Repo.Tag("v1", main, annotation: "one");
        using var cache = NewCache(RepoUrl);
        Fetch(cache, Credential, GenerousTimeout);
        Git.Run(Dir.Path, "init", "--bare", "--quiet", Dir.Combine("root", "team", "mirror.git"));
        var mirror = cache.Network.Remotes.Add("mirror", Server.UrlOf("team/mirror"));
        var rejected = new List<PushStatusError>();

        using (var scope = TransportScope.Begin(Credential, GenerousTimeout, CancellationToken.None, "GitHub (team/mirror)"))
        {
            scope.Run(() => cache.Network.Push(mirror, ["refs/heads/main:refs/heads/main", "refs/tags/v1:refs/tags/v1"],
                new PushOptions { OnPushStatusError = rejected.Add }));
            Assert.True(scope.BytesSent > 0);
        }

        Assert.Empty(rejected);
        Assert.Equal(new Dictionary<string, string> { ["refs/heads/main"] = main, ["refs/tags/v1"] = tag },
            RepoBuilder.Refs(Dir.Combine("root", "team", "mirror.git")));
    }

    [Fact]
    public void A_pre_receive_hook_rejection_reaches_OnPushStatusError()
    {
        var main = Repo.Commit();
        using var cache = NewCache(RepoUrl);
        Fetch(cache, Credential, GenerousTimeout);
        RefusePushesWithHook("pushes are frozen");
        var next = cache.ObjectDatabase.CreateCommit(new Signature("t", "t@example.com", DateTimeOffset.UnixEpoch),
            new Signature("t", "t@example.com", DateTimeOffset.UnixEpoch), "refused", cache.Lookup<Commit>(main).Tree,
            [cache.Lookup<Commit>(main)], prettifyMessage: false);
        cache.Refs.Add("refs/heads/next", next.Id);
        var rejected = new List<PushStatusError>();

        using (var scope = TransportScope.Begin(Credential, GenerousTimeout, CancellationToken.None, Remote))
        {
            scope.Run(() => cache.Network.Push(cache.Network.Remotes["origin"], "refs/heads/next:refs/heads/next",
                new PushOptions { OnPushStatusError = rejected.Add }));
        }

        var error = Assert.Single(rejected);
        Assert.Equal("refs/heads/next", error.Reference);
        Assert.Contains("pre-receive hook declined", error.Message);
        Assert.DoesNotContain("refs/heads/next", RepoBuilder.Refs(Repo.BarePath).Keys);
    }

    [Fact]
    public void A_wrong_token_fails_as_Authentication_after_one_request()
    {
        Repo.Commit();
        using var cache = NewCache(RepoUrl);

        var failure = Assert.Throws<GitTransportException>(() =>
            Fetch(cache, GitCredential.ForGitLab("canary-wrong-8d2a"), GenerousTimeout));

        Assert.Equal(TransportFailureKind.Authentication, failure.Kind);
        Assert.Contains(Remote, failure.Message);
        Assert.Single(Server.Requests);
        Assert.Equal(1, Server.AuthFailures);
    }

    [Fact]
    public void Tokens_never_appear_in_urls_messages_or_ToString()
    {
        const string wrongToken = "canary-wrong-44e1";
        Repo.Commit();
        using var cache = NewCache(RepoUrl);
        Fetch(cache, Credential, GenerousTimeout);
        var failure = Assert.Throws<GitTransportException>(() => Fetch(cache, GitCredential.ForGitLab(wrongToken), GenerousTimeout));

        var visible = string.Join("\n", Server.Requests.Select(r => r.ToString()))
            + failure + Credential + GitCredential.ForGitLab(wrongToken) + cache.Network.Remotes["origin"].Url
            + File.ReadAllText(Path.Combine(cache.Info.Path, "config"));

        Assert.DoesNotContain(Token, visible);
        Assert.DoesNotContain(wrongToken, visible);
        Assert.Contains("***", Credential.ToString());
    }

    [Fact]
    public void Rate_limiting_surfaces_with_its_Retry_After()
    {
        AnswerEveryRequest(429, retryAfter: "30");
        using var cache = NewCache(RepoUrl);

        var failure = Assert.Throws<GitTransportException>(() => Fetch(cache, Credential, GenerousTimeout));

        Assert.Equal(TransportFailureKind.RateLimited, failure.Kind);
        Assert.Equal(TimeSpan.FromSeconds(30), failure.RetryAfter);
    }

    [Fact]
    public void A_server_error_surfaces_as_Server()
    {
        AnswerEveryRequest(502);
        using var cache = NewCache(RepoUrl);

        var failure = Assert.Throws<GitTransportException>(() => Fetch(cache, Credential, GenerousTimeout));

        Assert.Equal(TransportFailureKind.Server, failure.Kind);
        Assert.Equal(502, failure.StatusCode);
    }

    [Fact]
    public void A_server_that_never_answers_times_out()
    {
        HangEveryRequest();
        using var cache = NewCache(RepoUrl);
        var clock = Stopwatch.StartNew();

        var failure = Assert.Throws<GitTransportException>(() => Fetch(cache, Credential, TimeSpan.FromSeconds(2)));

        Assert.Equal(TransportFailureKind.Timeout, failure.Kind);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
    }

    [Fact]
    public void Cancellation_stops_a_hanging_fetch()
    {
        HangEveryRequest();
        using var cache = NewCache(RepoUrl);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();

        Assert.ThrowsAny<OperationCanceledException>(() => Fetch(cache, Credential, GenerousTimeout, cancel.Token));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
    }

    [Fact]
    public void A_body_that_stalls_midway_times_out()
    {
        Repo.Commit();
        // Answer like a git server, then go silent: the read timeout must catch it, not only the wait for headers.
        Server.Intercept = async context =>
        {
            context.Response.ContentType = "application/x-git-upload-pack-advertisement";
            await context.Response.WriteAsync("001e# service=git-upload-pack\n", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
            return true;
        };
        using var cache = NewCache(RepoUrl);

        var failure = Assert.Throws<GitTransportException>(() => Fetch(cache, Credential, TimeSpan.FromSeconds(2)));

        Assert.Equal(TransportFailureKind.Timeout, failure.Kind);
    }
}
