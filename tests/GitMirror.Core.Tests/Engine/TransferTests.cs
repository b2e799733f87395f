using System.Diagnostics;
using System.Text;
using GitMirror.Core.Apply;
using GitMirror.Core.Config;
using GitMirror.Core.Engine;
using GitMirror.Core.Observe;
using GitMirror.Core.Plan;
using GitMirror.Core.Transport;
using GitMirror.Core.Unattended;
using GitMirror.Testing;
using Microsoft.AspNetCore.Http;
using Xunit;

namespace GitMirror.Core.Tests.Engine;

/// <summary>
/// Fetches and pushes through the git CLI against the real smart-HTTP server: leases, atomic
/// per-side pushes, refusals with the server's words, retries, redirects, timeouts, cancellation
/// and where the token may (and may not) appear.
/// </summary>
public sealed class TransferTests : IDisposable
{
    private readonly HttpMirrorWorld _http = new();
    private MirrorWorld World => _http.World;
    private GitHttpServer Server => _http.Server;

    public void Dispose() => _http.Dispose();

    private MirrorPair Pair(string name = "app") => ConfigLoader.Load(World.ConfigPath).Pairs.Single(p => p.Name == name);

    private static Task<SyncOutcome> Sync(MirrorPair pair, CancellationToken cancellationToken = default) =>
        new MirrorEngine(NullMirrorLog.Instance).SyncAsync(pair, _ => true, cancellationToken);

    private static bool IsReceivePack(HttpContext context, string side, string method) =>
        context.Request.Method == method && context.Request.Path.Value!.Contains($"/{side}/")
        && (context.Request.Query["service"] == "git-receive-pack" || context.Request.Path.Value.EndsWith("/git-receive-pack"));

    private int ReceivePackPosts(string side) =>
        Server.Requests.Count(r => r.Method == "POST" && r.Service == "git-receive-pack" && r.PathAndQuery.Contains($"/{side}/"));

    [Fact]
    public async Task A_first_fetch_of_every_ref_takes_them_all_and_skips_one_deleted_since_it_was_listed()
    {
        var (github, _) = World.AddPair("app");
        var main = github.Commits(2);
        var feature = github.Commit("feature");
        var tag = github.Tag("v1", main, "annotated");
        var pair = Pair();
        using var cache = MirrorCache.Open(pair);

        // As a first sync asks: every listed ref, one of which was deleted before the fetch.
        await cache.FetchAsync(RemoteEndpoint.For(pair, MirrorSide.GitHub), ["refs/heads/main", "refs/heads/feature", "refs/tags/v1", "refs/heads/gone"],
            CancellationToken.None, everyRef: true);

        Assert.Equal(main, cache.Repository.Refs["refs/mirror/github/heads/main"]?.TargetIdentifier);
        Assert.Equal(feature, cache.Repository.Refs["refs/mirror/github/heads/feature"]?.TargetIdentifier);
        Assert.Equal(tag, cache.Repository.Refs["refs/mirror/github/tags/v1"]?.TargetIdentifier);
        Assert.Null(cache.Repository.Refs["refs/mirror/github/heads/gone"]);
    }

    [Fact]
    public async Task A_first_fetch_into_an_empty_cache_is_a_clone_that_carries_the_token_nowhere_and_leaves_nothing_behind()
    {
        var (github, gitlab) = World.AddPair("app");
        var main = github.Commits(3);
        github.Commit("feature");
        github.Tag("v1", main, "annotated");
        using var release = new CancellationTokenSource();
        // Only a git process asks for the capability advertisement (GitMirror's own listing does not).
        using var cloning = HoldRequests(context => context.Request.Method == "GET" && context.Request.Path.Value!.Contains("/github/"), release.Token);

        var sync = Sync(Pair());
        Assert.True(await cloning.WaitAsync(TimeSpan.FromSeconds(60)), "the first fetch never started");
        var cache = Path.Combine(World.CachePath, "repos", PairFileName.For("app") + ".git");
        var seed = Path.Combine(cache, MirrorCache.SeedDirectoryName);
        var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{GitCredential.GitHubUserName}:{_http.GitHubToken}"));
        var clones = 0;
        foreach (var arguments in ProcessArguments())
        {
            if (arguments.Contains(seed) && arguments.Contains(" clone ")) clones++;
            Assert.DoesNotContain(_http.GitHubToken, arguments);
            Assert.DoesNotContain(encoded, arguments);
        }
        Assert.Equal(1, clones);
        foreach (var file in Directory.EnumerateFiles(World.CachePath, "*", SearchOption.AllDirectories))
        {
            var text = File.ReadAllText(file);
            Assert.DoesNotContain("CANARY", text);
            Assert.DoesNotContain(encoded, text);
        }
        release.Cancel();

        Assert.Equal(MirrorSyncStatus.Synced, (await sync).Result.Status);
        Assert.False(Directory.Exists(seed));
        Assert.Equal(RepoBuilder.Refs(github.BarePath).Where(r => !r.Key.StartsWith("refs/pull/")), RepoBuilder.Refs(gitlab.BarePath));
        Assert.Equal(0, Git.TryRun(cache, "fsck", "--connectivity-only", "--no-dangling").Code);
        Assert.Equal(main, Git.Run(cache, "rev-parse", "refs/mirror/github/heads/main").Trim());

        // The next fetch into the now-filled cache is a plain fetch of what is new.
        Server.Intercept = null;
        var next = github.Commit("main");
        Assert.Equal(MirrorSyncStatus.Synced, (await Sync(Pair())).Result.Status);
        Assert.Equal(next, RepoBuilder.Refs(gitlab.BarePath)["refs/heads/main"]);
    }

    [Fact]
    public async Task A_first_fetch_clears_what_a_killed_one_left_in_the_empty_cache()
    {
        var (github, _) = World.AddPair("app");
        var main = github.Commits(2);
        github.Commit("feature");
        var pair = Pair();
        using var cache = MirrorCache.Open(pair);
        var seed = Path.Combine(cache.Path, MirrorCache.SeedDirectoryName);
        Directory.CreateDirectory(Path.Combine(seed, "objects", "pack"));
        File.WriteAllText(Path.Combine(seed, "objects", "pack", "pack-half.pack"), "killed mid-clone");
        var orphan = Path.Combine(cache.Path, "objects", "pack", "pack-0000000000000000000000000000000000000000.pack");
        File.WriteAllText(orphan, "moved in, then killed before its index");

        await cache.FetchAsync(RemoteEndpoint.For(pair, MirrorSide.GitHub), ["refs/heads/main", "refs/heads/feature"], CancellationToken.None, everyRef: true);

        Assert.Equal(main, cache.Repository.Refs["refs/mirror/github/heads/main"]?.TargetIdentifier);
        Assert.False(Directory.Exists(seed));
        Assert.False(File.Exists(orphan));
        Assert.Equal(0, Git.TryRun(cache.Path, "fsck", "--connectivity-only").Code);

        // A cache with objects never seeds again: what a killed clone left is cleared when the cache is opened.
        Directory.CreateDirectory(Path.Combine(seed, "objects", "pack"));
        File.WriteAllText(Path.Combine(seed, "objects", "pack", "pack-half.pack"), "killed mid-clone");
        using (MirrorCache.Open(pair))
        {
            Assert.False(Directory.Exists(seed));
        }
    }

    [Fact]
    public async Task A_first_clone_whose_refs_collide_with_a_stale_name_in_the_empty_cache_replaces_the_stale_names()
    {
        var (github, _) = World.AddPair("app");
        var main = github.Commits(2);
        var nested = github.Commit("feature/x");
        var pair = Pair();
        using var cache = MirrorCache.Open(pair);
        // Left by an older run whose objects were deleted since: it blocks refs/mirror/github/heads/feature/x.
        var stale = Path.Combine(cache.Path, "refs", "mirror", "github", "heads", "feature");
        Directory.CreateDirectory(Path.GetDirectoryName(stale)!);
        File.WriteAllText(stale, new string('1', 40) + "\n");

        await cache.FetchAsync(RemoteEndpoint.For(pair, MirrorSide.GitHub), ["refs/heads/main", "refs/heads/feature/x"], CancellationToken.None, everyRef: true);

        Assert.Equal(main, cache.Repository.Refs["refs/mirror/github/heads/main"]?.TargetIdentifier);
        Assert.Equal(nested, cache.Repository.Refs["refs/mirror/github/heads/feature/x"]?.TargetIdentifier);
        Assert.False(Directory.Exists(Path.Combine(cache.Path, MirrorCache.SeedDirectoryName)));
    }

    [Fact]
    public async Task A_shallow_source_refused_by_the_first_clone_is_fetched_and_reported_as_shallow()
    {
        var (github, gitlab) = World.AddPair("app");
        var history = new RepoBuilder(Path.Combine(World.Root, "full.git"));
        history.Commits(3);
        history.Commit("feature");
        Directory.Delete(github.BarePath, recursive: true);
        Git.Run(World.Root, "clone", "--quiet", "--bare", "--no-single-branch", "--depth", "1", "file://" + history.BarePath, github.BarePath);

        var outcome = await Sync(Pair());

        Assert.Equal(MirrorSyncStatus.Failed, outcome.Result.Status);
        Assert.Contains("shallow", outcome.Result.Error);
        Assert.Empty(RepoBuilder.Refs(gitlab.BarePath));
        Assert.False(Directory.Exists(Path.Combine(World.CachePath, "repos", PairFileName.For("app") + ".git", MirrorCache.SeedDirectoryName)));
    }

    private List<GitHttpRequestRecord> PacksSentAsTheyAre(string side) =>
        Server.Requests.Where(r => r.Method == "POST" && r.Service == "git-receive-pack" && r.PathAndQuery.Contains($"/{side}/")
            && r.UserAgent!.Contains("GitMirror")).ToList();

    private string CachePath(string pair = "app") => Path.Combine(World.CachePath, "repos", PairFileName.For(pair) + ".git");

    [Fact]
    public async Task A_first_sync_into_an_empty_side_sends_the_first_clones_pack_as_it_is_and_nothing_else()
    {
        var (github, gitlab) = World.AddPair("app");
        var main = github.Commits(3);
        var feature = github.Commit("feature");
        github.Tag("v1", main, "annotated");
        github.Tag("light", feature);
        // A pull request's head: not mirrored, so its commit must not reach GitLab, not even unreferenced.
        var pull = github.Commit("pr", from: main);
        RepoBuilder.SetRef(github.BarePath, "refs/pull/1/head", pull);
        Git.Run(github.BarePath, "update-ref", "-d", "refs/heads/pr");

        var outcome = await Sync(Pair());

        Assert.Equal(MirrorSyncStatus.Synced, outcome.Result.Status);
        Assert.All(outcome.Result.Updates, u => Assert.Equal((true, "created"), (u.Succeeded, u.Message)));
        Assert.Equal(RepoBuilder.Refs(github.BarePath).Where(r => !r.Key.StartsWith("refs/pull/")), RepoBuilder.Refs(gitlab.BarePath));
        // One request carried the pack the clone brought, byte for byte (plus the ref commands), with the bot's login.
        var sent = Assert.Single(Server.Requests, r => r.Method == "POST" && r.Service == "git-receive-pack");
        Assert.Contains("GitMirror", sent.UserAgent);
        Assert.Equal(GitCredential.GitLabUserName, sent.AuthorizationUser);
        Assert.DoesNotContain("CANARY", sent.PathAndQuery);
        var pack = new FileInfo(Assert.Single(Directory.GetFiles(Path.Combine(CachePath(), "objects", "pack"), "*.pack")));
        Assert.InRange(sent.RequestBytes, pack.Length, pack.Length + 4096);
        Assert.False(Directory.Exists(Path.Combine(CachePath(), MirrorCache.PushDirectoryName)), "git push ran");
        // GitLab holds exactly the mirrored history: complete, connected, nothing unreferenced.
        var fsck = Git.TryRun(gitlab.BarePath, "fsck", "--dangling");
        Assert.True(fsck.Code == 0, fsck.Stderr);
        Assert.DoesNotContain("dangling", fsck.Stdout + fsck.Stderr);
        Assert.NotEqual(0, Git.TryRun(gitlab.BarePath, "cat-file", "-e", pull).Code);

        // From then on git push sends what is new.
        Server.ClearRequests();
        var next = github.Commit("main");
        Assert.Equal(MirrorSyncStatus.Synced, (await Sync(Pair())).Result.Status);
        Assert.Equal(next, RepoBuilder.Refs(gitlab.BarePath)["refs/heads/main"]);
        Assert.Empty(PacksSentAsTheyAre("gitlab"));
        Assert.Equal(1, ReceivePackPosts("gitlab"));
    }

    [Fact]
    public async Task A_pack_holding_more_than_the_pushed_refs_reach_is_never_sent_as_it_is()
    {
        var (github, gitlab) = World.AddPair("app");
        var main = github.Commits(2);
        var feature = github.Commit("feature");
        var pair = Pair();
        using var cache = MirrorCache.Open(pair);
        await cache.FetchAsync(RemoteEndpoint.For(pair, MirrorSide.GitHub), ["refs/heads/main", "refs/heads/feature"], CancellationToken.None, everyRef: true);

        // Only main goes (as when feature's LFS objects could not be copied): feature's commit stays home.
        var report = await new RefPusher(NullMirrorLog.Instance).PushAsync(cache, RemoteEndpoint.For(pair, MirrorSide.GitLab),
            [new PlannedPush("refs/heads/main", MirrorSide.GitLab, null, main)], CancellationToken.None);

        Assert.True(Assert.Single(report.Updates).Succeeded);
        Assert.Empty(PacksSentAsTheyAre("gitlab"));
        Assert.Equal(main, RepoBuilder.Refs(gitlab.BarePath)["refs/heads/main"]);
        Assert.NotEqual(0, Git.TryRun(gitlab.BarePath, "cat-file", "-e", feature).Code);
    }

    /// <param name="when">GET: after the listing, before the advertisement (seen there: nothing is sent).
    /// POST: after the advertisement said the side was empty (the server's compare-and-swap refuses the pack whole).</param>
    [Theory]
    [InlineData("GET", 0)]
    [InlineData("POST", 1)]
    public async Task A_ref_created_on_the_empty_side_before_the_pack_lands_keeps_its_value_and_the_other_refs_still_go(string when, int packsSent)
    {
        var (github, gitlab) = World.AddPair("app");
        var main = github.Commits(2);
        github.Commit("feature");
        github.Tag("v1", main, "annotated");
        var users = gitlab.Commit("scratch"); // a user's commit, pushed to GitLab as feature after we read it
        Git.Run(gitlab.BarePath, "update-ref", "-d", "refs/heads/scratch");
        Server.Intercept = context =>
        {
            if (IsReceivePack(context, "gitlab", when) && context.Request.Headers.UserAgent.ToString().Contains("GitMirror"))
            {
                RepoBuilder.SetRef(gitlab.BarePath, "refs/heads/feature", users);
            }
            return Task.FromResult(false);
        };

        var outcome = await Sync(Pair());

        Assert.Equal(MirrorSyncStatus.Failed, outcome.Result.Status);
        var lost = Assert.Single(outcome.Result.Updates, u => !u.Succeeded);
        Assert.Equal("refs/heads/feature", lost.Ref);
        Assert.Contains($"moved on GitLab (group/app) since it was read (expected no ref, found {PlannedPush.Short(users)})", lost.Message);
        Assert.Equal(users, RepoBuilder.Refs(gitlab.BarePath)["refs/heads/feature"]);
        Assert.Equal(main, RepoBuilder.Refs(gitlab.BarePath)["refs/heads/main"]);
        Assert.Equal(RepoBuilder.Refs(github.BarePath)["refs/tags/v1"], RepoBuilder.Refs(gitlab.BarePath)["refs/tags/v1"]);
        Assert.Equal(packsSent, PacksSentAsTheyAre("gitlab").Count);
    }

    [Fact]
    public async Task The_first_clones_pack_is_offered_only_while_it_is_all_the_cache_holds_and_the_push_covers_all_it_asked_for()
    {
        var (github, _) = World.AddPair("app");
        var main = github.Commits(2);
        var feature = github.Commit("feature");
        // The source's HEAD is detached at a commit no branch holds: the clone asks for it too.
        var detached = github.Commit("loose", from: main);
        Git.Run(github.BarePath, "update-ref", "--no-deref", "HEAD", detached);
        Git.Run(github.BarePath, "update-ref", "-d", "refs/heads/loose");
        var pair = Pair();
        using var cache = MirrorCache.Open(pair);
        await cache.FetchAsync(RemoteEndpoint.For(pair, MirrorSide.GitHub), ["refs/heads/main", "refs/heads/feature"], CancellationToken.None, everyRef: true);

        Assert.Null(cache.SeedPackReachedBy(new HashSet<string> { main, feature }));
        var pack = cache.SeedPackReachedBy(new HashSet<string> { main, feature, detached });
        Assert.NotNull(pack);
        Assert.Equal(Assert.Single(Directory.GetFiles(Path.Combine(cache.Path, "objects", "pack"), "*.pack")), pack);
        Assert.Null(cache.SeedPackReachedBy(new HashSet<string> { main, detached }));

        // Anything else in the cache (a loose object here) and the pack is no longer the whole story.
        Git.Run(cache.Path, "hash-object", "-w", "--stdin", "-t", "blob");
        Assert.Null(cache.SeedPackReachedBy(new HashSet<string> { main, feature, detached }));
    }

    [Fact]
    public async Task A_side_that_does_not_offer_atomic_pushes_never_gets_the_pack_as_it_is()
    {
        var (github, gitlab) = World.AddPair("app");
        var main = github.Commits(2);
        Git.Run(gitlab.BarePath, "config", "receive.advertiseAtomic", "false");

        var outcome = await Sync(Pair());

        Assert.Equal(MirrorSyncStatus.Synced, outcome.Result.Status);
        Assert.Equal(main, RepoBuilder.Refs(gitlab.BarePath)["refs/heads/main"]);
        Assert.Empty(PacksSentAsTheyAre("gitlab"));
        Assert.Equal(1, ReceivePackPosts("gitlab"));
    }

    [Fact]
    public async Task A_pack_answered_by_a_server_error_goes_again_through_git_push()
    {
        var (github, gitlab) = World.AddPair("app");
        var main = github.Commits(2);
        Server.Intercept = async context =>
        {
            if (!IsReceivePack(context, "gitlab", "POST") || !context.Request.Headers.UserAgent.ToString().Contains("GitMirror")) return false;
            context.Response.StatusCode = 500;
            await context.Response.WriteAsync("internal error");
            return true;
        };

        var outcome = await Sync(Pair());

        Assert.Equal(MirrorSyncStatus.Synced, outcome.Result.Status);
        Assert.Equal(main, RepoBuilder.Refs(gitlab.BarePath)["refs/heads/main"]);
        Assert.Equal(500, Assert.Single(PacksSentAsTheyAre("gitlab")).StatusCode);
        Assert.Equal(2, ReceivePackPosts("gitlab"));
    }

    [Fact]
    public async Task A_pack_that_landed_but_whose_answer_was_lost_is_read_back_not_sent_again()
    {
        var (github, gitlab) = World.AddPair("app");
        github.Commits(2);
        github.Commit("feature");
        Server.Intercept = context =>
        {
            if (!IsReceivePack(context, "gitlab", "POST")) return Task.FromResult(false);
            // The server takes every ref, then the connection breaks before it can say so.
            Git.Run(gitlab.BarePath, "fetch", "--quiet", github.BarePath, "refs/heads/*:refs/heads/*");
            context.Abort();
            return Task.FromResult(true);
        };

        var outcome = await Sync(Pair());

        Assert.Equal(MirrorSyncStatus.Synced, outcome.Result.Status);
        Assert.All(outcome.Result.Updates, u => Assert.Equal((true, "already on GitLab"), (u.Succeeded, u.Message)));
        Assert.Equal(RepoBuilder.Refs(github.BarePath).Where(r => r.Key.StartsWith("refs/heads/")), RepoBuilder.Refs(gitlab.BarePath));
        Assert.Single(PacksSentAsTheyAre("gitlab"));
        Assert.Equal(1, ReceivePackPosts("gitlab")); // git push had nothing left to send
    }

    [Fact]
    public async Task A_pack_sent_as_it_is_to_a_stalled_server_times_out_and_git_push_takes_over()
    {
        var (github, gitlab) = World.AddPair("app");
        var main = github.Commits(2);
        var feature = github.Commit("feature");
        Server.Intercept = async context =>
        {
            if (!IsReceivePack(context, "gitlab", "POST") || !context.Request.Headers.UserAgent.ToString().Contains("GitMirror")) return false;
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { });
            return true;
        };
        var pair = Pair();
        using var cache = MirrorCache.Open(pair);
        await cache.FetchAsync(RemoteEndpoint.For(pair, MirrorSide.GitHub), ["refs/heads/main", "refs/heads/feature"], CancellationToken.None, everyRef: true);
        var log = new Report.ListLog();
        var clock = Stopwatch.StartNew();

        var report = await new RefPusher(log).PushAsync(cache, RemoteEndpoint.For(pair, MirrorSide.GitLab).WithTimeout(TimeSpan.FromSeconds(2)),
            [new PlannedPush("refs/heads/main", MirrorSide.GitLab, null, main), new PlannedPush("refs/heads/feature", MirrorSide.GitLab, null, feature)],
            CancellationToken.None);

        Assert.All(report.Updates, u => Assert.True(u.Succeeded, u.Message));
        Assert.Null(report.Failure);
        Assert.Contains(log.VerboseLines, l => l.Contains("sending the pack as it is failed") && l.Contains("no answer from the server within 2 s"));
        Assert.Equal(new Dictionary<string, string> { ["refs/heads/main"] = main, ["refs/heads/feature"] = feature }, RepoBuilder.Refs(gitlab.BarePath));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Pushes_run_from_a_repository_without_refs_that_borrows_the_caches_objects_and_is_rewritten_before_each_push()
    {
        var (github, gitlab) = World.AddPair("app");
        github.Commits(2);
        github.Tag("v1", github.Commit("feature"), "annotated");
        Assert.Equal(MirrorSyncStatus.Synced, (await Sync(Pair())).Result.Status); // sent the clone's pack as it is
        github.Commit("feature");
        Assert.Equal(MirrorSyncStatus.Synced, (await Sync(Pair())).Result.Status); // git push, from push.git
        var push = Path.Combine(World.CachePath, "repos", PairFileName.For("app") + ".git", MirrorCache.PushDirectoryName);
        Assert.Equal("", Git.Run(push, "for-each-ref").Trim());
        // Planted: a rewrite sending the push (and its token) elsewhere, objects read from elsewhere.
        File.AppendAllText(Path.Combine(push, "config"), "[url \"http://127.0.0.1:1/\"]\n\tinsteadOf = http://\n");
        File.WriteAllText(Path.Combine(push, "objects", "info", "alternates"), Path.Combine(World.Root, "elsewhere", "objects") + "\n");

        var next = github.Commit("main");
        var outcome = await Sync(Pair());

        Assert.Equal(MirrorSyncStatus.Synced, outcome.Result.Status);
        Assert.Equal(next, RepoBuilder.Refs(gitlab.BarePath)["refs/heads/main"]);
        Assert.DoesNotContain("insteadOf", File.ReadAllText(Path.Combine(push, "config")));
        Assert.Equal("../../objects\n", File.ReadAllText(Path.Combine(push, "objects", "info", "alternates")));
        Assert.Equal("", Git.Run(push, "for-each-ref").Trim());
    }

    /// <summary>
    /// Holds every request that <paramref name="matches"/> at the server until <paramref name="release"/>
    /// (or the client gives up), then serves it; the semaphore is released once per held request.
    /// </summary>
    private SemaphoreSlim HoldRequests(Func<HttpContext, bool> matches, CancellationToken release)
    {
        var held = new SemaphoreSlim(0);
        Server.Intercept = async context =>
        {
            if (!matches(context)) return false;
            held.Release();
            await Task.Delay(Timeout.Infinite, CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, release).Token)
                .ContinueWith(_ => { });
            return false;
        };
        return held;
    }

    /// <summary>The command line of every process this user can see.</summary>
    private static IEnumerable<string> ProcessArguments()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
        {
            string arguments;
            try
            {
                arguments = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // exited meanwhile, or not ours
            }
            yield return arguments;
        }
    }

    [Fact]
    public async Task A_target_moved_between_observe_and_push_is_not_overwritten_and_the_other_refs_still_go()
    {
        var (github, gitlab) = World.AddPair("app");
        var main = github.Commits(1);
        Assert.Equal(MirrorSyncStatus.Synced, (await Sync(Pair())).Result.Status);
        var ahead = github.Commit("main");
        var feature = github.Commit("feature", from: main);
        var users = gitlab.Commit("main", from: main); // a user's push to GitLab after we read it
        RepoBuilder.SetRef(gitlab.BarePath, "refs/heads/main", main);
        Server.Intercept = context =>
        {
            if (IsReceivePack(context, "gitlab", "GET")) RepoBuilder.SetRef(gitlab.BarePath, "refs/heads/main", users);
            return Task.FromResult(false);
        };

        var outcome = await Sync(Pair());

        Assert.Equal(MirrorSyncStatus.Failed, outcome.Result.Status);
        var lost = Assert.Single(outcome.Result.Updates, u => !u.Succeeded);
        Assert.Equal("refs/heads/main", lost.Ref);
        Assert.Contains("moved on GitLab (group/app) since it was read", lost.Message);
        Assert.Contains($"expected {PlannedPush.Short(main)}, found {PlannedPush.Short(users)}", lost.Message);
        Assert.Equal(users, RepoBuilder.Refs(gitlab.BarePath)["refs/heads/main"]);
        Assert.Equal(feature, RepoBuilder.Refs(gitlab.BarePath)["refs/heads/feature"]);
        Assert.NotEqual(ahead, RepoBuilder.Refs(gitlab.BarePath)["refs/heads/main"]);
    }

    [Fact]
    public async Task A_side_gets_one_atomic_push_and_a_refused_ref_holds_back_no_other()
    {
        var (github, gitlab) = World.AddPair("app");
        var main = github.Commits(1);
        github.Commit("protected", from: main);
        github.Commit("feature", from: main);
        github.Tag("v1", main, "one");
        HttpMirrorWorld.InstallHook(gitlab.BarePath, "update",
            "#!/bin/sh\ncase \"$1\" in refs/heads/protected) echo 'GH013: Repository rule violations found for refs/heads/protected.' >&2; exit 1;; esac\nexit 0\n");

        var outcome = await Sync(Pair());

        Assert.Equal(MirrorSyncStatus.Failed, outcome.Result.Status);
        var refused = Assert.Single(outcome.Result.Updates, u => !u.Succeeded);
        Assert.Equal("refs/heads/protected", refused.Ref);
        Assert.Contains("rejected by GitLab (group/app): hook declined", refused.Message);
        Assert.Contains("GH013: Repository rule violations found", refused.Message);
        Assert.Equal(["refs/heads/feature", "refs/heads/main", "refs/tags/v1"], RepoBuilder.Refs(gitlab.BarePath).Keys.Order().ToArray());
        // The clone's pack, sent as it is, was refused whole (all or nothing), then git push's atomic push
        // was too; its second went without the refused ref.
        Assert.Equal(1, Server.Requests.Count(r => r.Method == "POST" && r.Service == "git-receive-pack" && r.UserAgent!.Contains("GitMirror")));
        Assert.Equal(3, ReceivePackPosts("gitlab"));

        Server.ClearRequests();
        github.Commit("main");
        github.Commit("feature");
        File.Delete(Path.Combine(gitlab.BarePath, "hooks", "update"));
        Assert.Equal(MirrorSyncStatus.Synced, (await Sync(Pair())).Result.Status);
        Assert.Equal(1, ReceivePackPosts("gitlab")); // three refs, one push
    }

    [Fact]
    public async Task A_push_that_failed_before_reaching_the_server_is_retried_once()
    {
        var (github, gitlab) = World.AddPair("app");
        github.Commits(1);
        Assert.Equal(MirrorSyncStatus.Synced, (await Sync(Pair())).Result.Status);
        Server.ClearRequests();
        var main = github.Commits(2);
        var failed = 0;
        Server.Intercept = async context =>
        {
            if (!IsReceivePack(context, "gitlab", "POST") || Interlocked.Increment(ref failed) > 1) return false;
            context.Response.StatusCode = 502;
            await context.Response.WriteAsync("bad gateway");
            return true;
        };

        var outcome = await Sync(Pair());

        Assert.Equal(MirrorSyncStatus.Synced, outcome.Result.Status);
        Assert.Equal(main, RepoBuilder.Refs(gitlab.BarePath)["refs/heads/main"]);
        Assert.Equal(2, ReceivePackPosts("gitlab"));
    }

    [Fact]
    public async Task A_push_whose_outcome_is_unknown_is_re_observed_not_repeated()
    {
        var (github, gitlab) = World.AddPair("app");
        github.Commits(1);
        Assert.Equal(MirrorSyncStatus.Synced, (await Sync(Pair())).Result.Status);
        Server.ClearRequests();
        var main = github.Commits(2);
        Server.Intercept = context =>
        {
            if (!IsReceivePack(context, "gitlab", "POST")) return Task.FromResult(false);
            // The server applies the update, then the connection breaks before it can say so.
            Git.Run(gitlab.BarePath, "fetch", "--quiet", github.BarePath, $"{main}:refs/heads/main");
            context.Abort();
            return Task.FromResult(true);
        };

        var outcome = await Sync(Pair());

        Assert.Equal(MirrorSyncStatus.Synced, outcome.Result.Status);
        var update = Assert.Single(outcome.Result.Updates);
        Assert.Equal((true, "already on GitLab"), (update.Succeeded, update.Message));
        // Read again (a listing), not pushed again: one advertisement of receive-pack. (curl itself may
        // resend a request that died on a reused connection; the server's old-value check guards that.)
        Assert.Equal(1, Server.Requests.Count(r => r.Method == "GET" && r.Service == "git-receive-pack" && r.PathAndQuery.Contains("/gitlab/")));
    }

    [Fact]
    public async Task A_same_origin_redirect_is_followed_and_git_talks_to_the_new_place()
    {
        var (github, gitlab) = World.AddPair("app");
        var main = github.Commits(1);
        World.GitLabUrl = Server.BaseUrl + "/renamed";
        World.WriteConfig();
        Server.Intercept = context => Redirect(context, "/renamed/", Server.BaseUrl + "/gitlab/");

        var outcome = await Sync(Pair());

        Assert.Equal(MirrorSyncStatus.Synced, outcome.Result.Status);
        Assert.Equal(main, RepoBuilder.Refs(gitlab.BarePath)["refs/heads/main"]);
        Assert.Equal(0, Server.AuthFailures);
        Assert.All(Server.Requests.Where(r => r.PathAndQuery.StartsWith("/renamed/")), r => Assert.Equal(301, r.StatusCode));
        Assert.Equal(1, ReceivePackPosts("gitlab"));
    }

    [Fact]
    public async Task A_redirect_to_another_host_is_a_configuration_error_that_never_trips_the_breaker_or_gets_the_token()
    {
        for (var i = 0; i < 4; i++) World.AddPair($"app{i}").GitHub.Commits(1);
        World.GitLabUrl = Server.BaseUrl + "/renamed";
        World.WriteConfig();
        var elsewhere = Server.BaseUrl.Replace("127.0.0.1", "localhost") + "/gitlab/";
        var tokensSeenElsewhere = 0;
        Server.Intercept = context =>
        {
            if (context.Request.Host.Host == "localhost" && context.Request.Headers.Authorization.Count > 0) Interlocked.Increment(ref tokensSeenElsewhere);
            return Redirect(context, "/renamed/", elsewhere);
        };
        var pairs = ConfigLoader.Load(World.ConfigPath).Pairs;
        var run = new SyncRun(pairs, new SyncRunOptions(), NullMirrorLog.Instance);

        var outcomes = new List<SyncOutcome>();
        foreach (var pair in pairs) outcomes.Add(await run.SyncAsync(pair, _ => true, CancellationToken.None));

        Assert.All(outcomes, o =>
        {
            Assert.Equal(MirrorSyncStatus.Failed, o.Result.Status);
            Assert.False(o.CircuitOpen);
            Assert.Equal(TransportFailureKind.Moved, Assert.IsType<GitTransportException>(o.Failure).Kind);
            Assert.Contains($"moved to {elsewhere}group/{o.Result.PairName}.git", o.Result.Error);
            Assert.DoesNotContain("token", o.Result.Error!.Replace("no token was sent there", ""), StringComparison.OrdinalIgnoreCase);
        });
        Assert.Equal(0, tokensSeenElsewhere);
        Assert.Equal(0, Server.AuthFailures);
    }

    private static async Task<bool> Redirect(HttpContext context, string from, string to)
    {
        var path = context.Request.Path.Value!;
        if (!path.StartsWith(from, StringComparison.Ordinal)) return false;
        context.Response.StatusCode = 301;
        context.Response.Headers.Location = to + path[from.Length..] + context.Request.QueryString;
        await context.Response.CompleteAsync();
        return true;
    }

    [Fact]
    public async Task The_token_is_in_no_process_argument_and_no_file_of_the_cache_while_git_runs()
    {
        var (github, _) = World.AddPair("app");
        github.Commits(1);
        Assert.Equal(MirrorSyncStatus.Synced, (await Sync(Pair())).Result.Status);
        github.Commits(2); // GitLab holds history now: git push, not the clone's pack, sends it
        using var release = new CancellationTokenSource();
        using var pushing = HoldRequests(context => IsReceivePack(context, "gitlab", "POST"), release.Token);

        var sync = Sync(Pair());
        Assert.True(await pushing.WaitAsync(TimeSpan.FromSeconds(60)), "the push never started");
        var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{GitCredential.GitLabUserName}:{_http.GitLabToken}"));
        var gitProcesses = 0;
        foreach (var arguments in ProcessArguments())
        {
            if (arguments.Contains(World.CachePath)) gitProcesses++;
            Assert.DoesNotContain(_http.GitLabToken, arguments);
            Assert.DoesNotContain(_http.GitHubToken, arguments);
            Assert.DoesNotContain(encoded, arguments);
        }
        Assert.True(gitProcesses > 0, "no git process of this sync was seen");
        foreach (var file in Directory.EnumerateFiles(World.CachePath, "*", SearchOption.AllDirectories).Where(f => !f.Contains("/objects/")))
        {
            var text = File.ReadAllText(file);
            Assert.DoesNotContain("CANARY", text);
            Assert.DoesNotContain(encoded, text);
        }
        release.Cancel();
        Assert.Equal(MirrorSyncStatus.Synced, (await sync).Result.Status);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Cancelling_a_large_push_ends_it_and_its_git_processes_within_a_second(bool gitlabHoldsHistory)
    {
        var (github, gitlab) = World.AddPair("app");
        github.Commits(1);
        // An empty side gets the clone's pack as it is (GitMirror's own HTTP); one with history, git push.
        if (gitlabHoldsHistory) Assert.Equal(MirrorSyncStatus.Synced, (await Sync(Pair())).Result.Status);
        var before = RepoBuilder.Refs(gitlab.BarePath).GetValueOrDefault("refs/heads/main");
        var big = new byte[24 * 1024 * 1024];
        Random.Shared.NextBytes(big); // incompressible
        var work = github.BarePath + ".work";
        File.WriteAllBytes(Path.Combine(work, "big.bin"), big);
        Git.Run(work, "add", "big.bin");
        Git.Run(work, "commit", "--quiet", "-m", "big");
        Git.Run(work, "push", "--quiet", "origin", "HEAD:refs/heads/main");
        using var pushing = new SemaphoreSlim(0);
        Server.Intercept = async context =>
        {
            if (!IsReceivePack(context, "gitlab", "POST")) return false;
            // Which push this is: the clone's pack sent as it is (GitMirror's own HTTP), or git push.
            Assert.Equal(!gitlabHoldsHistory, context.Request.Headers.UserAgent.ToString().Contains("GitMirror"));
            // Read a little of the pack, then stall: the transfer is under way and stays so.
            await context.Request.Body.ReadAtLeastAsync(new byte[64 * 1024], 1, throwOnEndOfStream: false, context.RequestAborted);
            pushing.Release();
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { });
            return true;
        };
        using var cancel = new CancellationTokenSource();

        var sync = Sync(Pair(), cancel.Token);
        Assert.True(await pushing.WaitAsync(TimeSpan.FromSeconds(120)), "the push never started");
        var clock = Stopwatch.StartNew();
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sync);
        // Well under a second on an idle machine; the bound leaves room for a loaded CI runner. Without
        // the kill the stalled push would only end at the 120 s inactivity timeout.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed.TotalMilliseconds:0} ms");
        Assert.Empty(ProcessesMentioning(World.CachePath));
        Assert.Empty(ProcessesMentioning(Server.BaseUrl)); // git-remote-http
        Assert.Equal(before, RepoBuilder.Refs(gitlab.BarePath).GetValueOrDefault("refs/heads/main"));
    }

    private static List<int> ProcessesMentioning(string text)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Contains(text)) found.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return found;
    }

    [Theory]
    [InlineData("fetch")]
    [InlineData("push")]
    public async Task A_stalled_server_times_out(string operation)
    {
        var (github, _) = World.AddPair("app");
        var main = github.Commits(1);
        var service = operation == "fetch" ? "git-upload-pack" : "git-receive-pack";
        var side = operation == "fetch" ? "github" : "gitlab";
        Server.Intercept = async context =>
        {
            // Only git stalls; GitMirror's own listing (which finds where the side answers) gets through.
            if (!context.Request.Path.Value!.Contains($"/{side}/") || !context.Request.Path.Value.EndsWith(service)
                && context.Request.Query["service"] != service || context.Request.Headers.UserAgent.ToString().Contains("GitMirror")) return false;
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { });
            return true;
        };
        var pair = Pair();
        using var cache = MirrorCache.Open(pair);
        var clock = Stopwatch.StartNew();

        var failure = await Assert.ThrowsAsync<GitTransportException>(async () =>
        {
            if (operation == "fetch")
            {
                await cache.FetchAsync(RemoteEndpoint.For(pair, MirrorSide.GitHub).WithTimeout(TimeSpan.FromSeconds(2)), ["refs/heads/main"], CancellationToken.None);
                return;
            }
            await cache.FetchAsync(RemoteEndpoint.For(pair, MirrorSide.GitHub), ["refs/heads/main"], CancellationToken.None);
            var report = await new RefPusher(NullMirrorLog.Instance).PushAsync(cache, RemoteEndpoint.For(pair, MirrorSide.GitLab).WithTimeout(TimeSpan.FromSeconds(2)),
                [new PlannedPush("refs/heads/main", MirrorSide.GitLab, null, main)], CancellationToken.None);
            Assert.False(report.Updates[0].Succeeded);
            throw report.Failure!;
        });

        Assert.Equal(TransportFailureKind.Timeout, failure.Kind);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_history_bigger_than_the_side_accepts_goes_out_in_bounded_steps_oldest_first()
    {
        var (github, gitlab) = World.AddPair("app");
        var work = github.BarePath + ".work";
        github.Commits(1);
        var tips = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var blob = new byte[400 * 1024];
            Random.Shared.NextBytes(blob); // incompressible: the pack is as big as the content
            File.WriteAllBytes(Path.Combine(work, $"big-{i}.bin"), blob);
            Git.Run(work, "add", $"big-{i}.bin");
            Git.Run(work, "commit", "--quiet", "-m", $"big {i}");
            tips.Add(Git.Run(work, "rev-parse", "HEAD"));
        }
        Git.Run(work, "push", "--quiet", "origin", "HEAD:refs/heads/main");
        github.Tag("v1", tips[^1], "release");
        // GitLab refuses any push over 1 MiB, and the config says so.
        Git.Run(gitlab.BarePath, "config", "receive.maxInputSize", "1m");
        File.WriteAllText(World.ConfigPath, File.ReadAllText(World.ConfigPath).Replace("gitlab:\n", "gitlab:\n  maxPushSize: 1m\n"));
        var refused = Git.TryRun(work, "push", "--quiet", gitlab.BarePath, "HEAD:refs/heads/main");
        Assert.NotEqual(0, refused.Code); // the limit is real

        var outcome = await Sync(Pair());

        Assert.True(outcome.Result.Status == MirrorSyncStatus.Synced, outcome.Result.Error);
        Assert.Equal(RepoBuilder.Refs(github.BarePath), RepoBuilder.Refs(gitlab.BarePath));
        var pushes = Server.Requests.Where(r => r.Method == "POST" && r.Service == "git-receive-pack").ToList();
        Assert.True(pushes.Count >= 3, $"{pushes.Count} pushes");
        Assert.All(pushes, p => Assert.True(p.RequestBytes < 1 << 20, $"a push of {p.RequestBytes} bytes"));
        Assert.Equal(new MirrorRefUpdate[0].Length, outcome.Result.Updates.Count(u => !u.Succeeded));
    }

    [Fact]
    public async Task One_new_commit_fetches_only_that_commit_into_the_cache_not_the_history_since_another_ref()
    {
        // The cached copy of main is dropped before it is fetched again; its old value must still be offered
        // as a have, or the server sends everything since the nearest other ref (here: the whole history).
        var (github, _) = World.AddPair("app");
        var root = github.Commit("main");
        github.Commit("old", from: root);
        github.Commits(30);
        Assert.Equal(MirrorSyncStatus.Synced, (await Sync(Pair())).Result.Status);
        var cache = Directory.GetDirectories(Path.Combine(Pair().CachePath, "repos")).Single();
        var before = Directory.GetFiles(Path.Combine(cache, "objects", "pack"), "*.idx").ToHashSet();

        github.Commit("main");
        Assert.Equal(MirrorSyncStatus.Synced, (await Sync(Pair())).Result.Status);

        var fetched = Directory.GetFiles(Path.Combine(cache, "objects", "pack"), "*.idx").Where(f => !before.Contains(f))
            .Sum(f => Git.Run(cache, "verify-pack", "-v", f).Split('\n').Count(l => l.Contains(" commit ") || l.Contains(" tree ") || l.Contains(" blob ")));
        // The commit, its tree, its new file, and the delta bases git adds to complete a thin pack; the history is ~90.
        Assert.InRange(fetched, 1, 6);
    }
}
