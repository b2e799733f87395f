using GitMirror.Core.Config;
using GitMirror.Core.Engine;
using GitMirror.Core.Report;
using GitMirror.Core.Unattended;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.Core.Tests.Engine;

/// <summary>
/// The reliability scenarios users hit (issue 10), each against the smart-HTTP server: rules and
/// hooks, size limits, shallow sources, empty repositories, a token that expires mid-run, a cache
/// deleted mid-run, a full disk, clock skew in lock ages. Every run ends with a true status, loses
/// nothing, and (where the cause is gone) the next run converges.
/// </summary>
public sealed class ReliabilityScenarioTests : IDisposable
{
    private readonly HttpMirrorWorld _http = new();
    private MirrorWorld World => _http.World;

    public void Dispose()
    {
        _http.Server.Intercept = null;
        _http.Dispose();
    }

    private MirrorPair Pair() => ConfigLoader.Load(World.ConfigPath).Pairs.Single();

    private Task<SyncOutcome> Sync() =>
        new SyncRun([Pair()], new SyncRunOptions { Retry = new MirrorRetryOptions { BaseDelay = TimeSpan.FromMilliseconds(20) } }, NullMirrorLog.Instance)
            .SyncAsync(Pair(), _ => true, CancellationToken.None);

    private static string Refs(RepoBuilder repo) =>
        string.Join('\n', RepoBuilder.Refs(repo.BarePath).Select(r => $"{r.Key} {r.Value}").Order(StringComparer.Ordinal));

    private async Task AssertConverges(RepoBuilder github, RepoBuilder gitlab)
    {
        var next = await Sync();
        Assert.True(next.Result.Status is MirrorSyncStatus.Synced or MirrorSyncStatus.UpToDate, $"{next.Result.Status}: {next.Result.Error}");
        Assert.Equal(Refs(github), Refs(gitlab));
        Assert.Equal(MirrorSyncStatus.UpToDate, (await Sync()).Result.Status);
    }

    [Fact]
    public async Task A_GitHub_rule_set_refusal_GH013_fails_that_ref_with_the_message_and_the_rest_syncs()
    {
        var (github, gitlab) = World.AddPair("app");
        var main = github.Commits(2);
        Assert.Equal(MirrorSyncStatus.Synced, (await Sync()).Result.Status);
        github.Commit("main");
        github.Commit("feature", from: main);
        HttpMirrorWorld.InstallHook(gitlab.BarePath, "update",
            "#!/bin/sh\ncase \"$1\" in refs/heads/main)\n" +
            "echo 'error: GH013: Repository rule violations found for refs/heads/main.' >&2\n" +
            "echo '- Changes must be made through a pull request.' >&2\nexit 1;;\nesac\nexit 0\n");

        var outcome = await Sync();

        Assert.Equal(MirrorSyncStatus.Failed, outcome.Result.Status);
        Assert.Contains("refs/heads/main", outcome.Result.Error);
        // The server's own words reach the user once pushes go through the git CLI (libgit2 says "hook declined").
        Assert.Contains("GH013", outcome.Result.Error);
        Assert.Contains(outcome.Result.Updates, u => u.Ref == "refs/heads/feature" && u.Succeeded);
        Assert.Equal(github.TipOrNull("feature"), gitlab.TipOrNull("feature"));
        Assert.Equal(main, gitlab.TipOrNull("main"));
        // The rule stays: every run says so, and never reports the pair healthy.
        Assert.Equal(MirrorSyncStatus.Failed, (await Sync()).Result.Status);
        File.Delete(Path.Combine(gitlab.BarePath, "hooks", "update"));
        await AssertConverges(github, gitlab);
    }

    [Fact]
    public async Task A_push_over_the_servers_size_limit_fails_with_the_reason_and_changes_nothing()
    {
        var (github, gitlab) = World.AddPair("app");
        github.Commits(1);
        Assert.Equal(MirrorSyncStatus.Synced, (await Sync()).Result.Status);
        var before = Refs(gitlab);
        // 300 KB of incompressible content, against a 20 KB limit (GitHub: 2 GiB per push, GitLab.com: 5 GiB).
        var big = Path.Combine(World.Root, "big.bin");
        File.WriteAllBytes(big, System.Security.Cryptography.RandomNumberGenerator.GetBytes(300_000));
        var work = Path.Combine(World.Root, "work");
        Git.Run(World.Root, "clone", "--quiet", github.BarePath, work);
        File.Copy(big, Path.Combine(work, "big.bin"));
        Git.Run(work, "add", "big.bin");
        Git.Run(work, "commit", "--quiet", "-m", "big file");
        Git.Run(work, "push", "--quiet", "origin", "HEAD:refs/heads/main");
        Git.Run(gitlab.BarePath, "config", "receive.maxInputSize", "20000");

        var outcome = await Sync();

        Assert.Equal(MirrorSyncStatus.Failed, outcome.Result.Status);
        Assert.False(string.IsNullOrWhiteSpace(outcome.Result.Error));
        Assert.Equal(before, Refs(gitlab));
        Git.Run(gitlab.BarePath, "config", "--unset", "receive.maxInputSize");
        await AssertConverges(github, gitlab);
    }

    [Fact]
    public async Task A_cache_on_a_file_system_that_does_not_enforce_locks_is_refused_and_nothing_is_pushed()
    {
        // Two machines sharing a cache on NFS mounted with 'nolock' would both "hold" a pair. .NET's
        // switch that turns file locking off gives this machine the same file system behaviour.
        var (github, gitlab) = World.AddPair("app");
        github.Commits(2);
        var before = Refs(gitlab);
        var (_, output) = await ChildSync.RunAsync(World.ConfigPath, new Dictionary<string, string> { ["DOTNET_SYSTEM_IO_DISABLEFILELOCKING"] = "1" });

        Assert.Contains("app Failed", output);
        Assert.Contains("does not enforce locks", output);
        Assert.Contains("NFSv4", output);
        Assert.Equal(before, Refs(gitlab));
        // The same cache with locks that hold: the next run syncs.
        await AssertConverges(github, gitlab);
    }

    [Fact]
    public async Task Empty_repositories_on_either_side_sync_or_stay_up_to_date()
    {
        var (github, gitlab) = World.AddPair("app");
        Assert.Equal(MirrorSyncStatus.UpToDate, (await Sync()).Result.Status);
        gitlab.Commits(2);
        Assert.Equal(MirrorSyncStatus.Synced, (await Sync()).Result.Status);
        await AssertConverges(github, gitlab);
    }

    [Fact]
    public async Task A_shallow_source_fails_the_push_with_a_reason_and_loses_nothing()
    {
        var (github, gitlab) = World.AddPair("app");
        var history = new RepoBuilder(Path.Combine(World.Root, "full.git"));
        history.Commits(3);
        // A shallow copy standing in for the GitHub side (a CI checkout pushed as a new repository).
        Directory.Delete(github.BarePath, recursive: true);
        Git.Run(World.Root, "clone", "--quiet", "--bare", "--depth", "1", "file://" + history.BarePath, github.BarePath);
        var githubBefore = Refs(github);

        var outcome = await Sync();

        Assert.True(outcome.Result.Status is MirrorSyncStatus.Failed or MirrorSyncStatus.Synced, $"{outcome.Result.Status}: {outcome.Result.Error}");
        if (outcome.Result.Status == MirrorSyncStatus.Failed) Assert.False(string.IsNullOrWhiteSpace(outcome.Result.Error));
        else Assert.Equal(Refs(github), Refs(gitlab));
        Assert.Equal(githubBefore, Refs(github));
        // Whatever GitLab got is whole: git's own check finds nothing missing.
        Assert.Equal(0, Git.TryRun(gitlab.BarePath, "fsck", "--connectivity-only").Code);
    }

    [Fact]
    public async Task A_token_that_expires_mid_run_fails_the_pair_typed_and_the_next_run_with_a_new_token_converges()
    {
        var (github, gitlab) = World.AddPair("app");
        github.Commits(2);
        var before = Refs(gitlab);
        _http.Server.Intercept = context =>
        {
            // The GitLab token is revoked as soon as the run starts fetching (after both listings).
            if (context.Request.Method == "POST" && context.Request.Path.Value!.EndsWith("/git-upload-pack", StringComparison.Ordinal))
            {
                lock (_http.Server.AcceptedTokens) _http.Server.AcceptedTokens.Remove(_http.GitLabToken);
            }
            return Task.FromResult(false);
        };

        var outcome = await Sync();

        Assert.Equal(MirrorSyncStatus.Failed, outcome.Result.Status);
        Assert.Contains(World.GitLabTokenEnv, outcome.Result.Error);
        Assert.DoesNotContain(_http.GitLabToken, outcome.Result.Error);
        Assert.Equal(before, Refs(gitlab));
        _http.Server.Intercept = null;
        lock (_http.Server.AcceptedTokens) _http.Server.AcceptedTokens.Add(_http.GitLabToken);
        await AssertConverges(github, gitlab);
    }

    [Fact]
    public async Task A_cache_deleted_in_the_middle_of_a_run_changes_no_result_and_the_next_run_converges()
    {
        var (github, gitlab) = World.AddPair("app");
        github.Commits(3);
        gitlab.Commit("from-gitlab");
        var deleted = 0;
        _http.Server.Intercept = context =>
        {
            if (context.Request.Method == "POST" && context.Request.Path.Value!.EndsWith("/git-receive-pack", StringComparison.Ordinal)
                && Interlocked.Exchange(ref deleted, 1) == 0)
            {
                Directory.Delete(Path.Combine(World.CachePath, "repos"), recursive: true);
            }
            return Task.FromResult(false);
        };

        var outcome = await Sync();

        Assert.Equal(1, deleted);
        Assert.True(outcome.Result.Status is MirrorSyncStatus.Synced or MirrorSyncStatus.Failed, outcome.Result.Error);
        foreach (var update in outcome.Result.Updates.Where(u => u.Succeeded))
        {
            var target = update.Target == MirrorSide.GitHub ? github : gitlab;
            Assert.Equal(update.NewSha, RepoBuilder.Refs(target.BarePath).GetValueOrDefault(update.Ref));
        }
        _http.Server.Intercept = null;
        await AssertConverges(github, gitlab);
    }

    [Fact]
    public async Task A_full_disk_in_the_cache_fails_the_pair_with_a_reason_and_the_next_run_converges()
    {
        var (github, gitlab) = World.AddPair("app");
        var main = github.Commit();
        // 400 KB of incompressible content: the fetch into the cache needs more than the 64 KB the child may write.
        var work = Path.Combine(World.Root, "work");
        Git.Run(World.Root, "clone", "--quiet", github.BarePath, work);
        File.WriteAllBytes(Path.Combine(work, "big.bin"), System.Security.Cryptography.RandomNumberGenerator.GetBytes(400_000));
        Git.Run(work, "add", "big.bin");
        Git.Run(work, "commit", "--quiet", "-m", "big file");
        Git.Run(work, "push", "--quiet", "origin", "HEAD:refs/heads/main");
        var before = Refs(gitlab);

        // RLIMIT_FSIZE in a child: every write past 64 KB fails with EFBIG, as on a full file system
        // (SIGXFSZ ignored, as a daemon would). Needs no root, unlike a small tmpfs.
        // The runtime's W^X double mapping writes through a file; off, so only the cache's writes hit the limit.
        var (_, output) = await ChildSync.RunAsync(World.ConfigPath, new Dictionary<string, string> { ["DOTNET_EnableWriteXorExecute"] = "0" },
            "bash", "-c", "trap '' XFSZ; ulimit -f 64; exec \"$0\" \"$@\"");

        Assert.Contains("app Failed", output);
        Assert.Equal(before, Refs(gitlab));
        Assert.NotEqual(main, github.TipOrNull("main"));
        await AssertConverges(github, gitlab);
    }

    [Fact]
    public async Task Clock_skew_never_makes_a_live_lock_look_free_nor_a_fresh_one_look_hung()
    {
        World.AddPair("app").GitHub.Commits(1);
        var pair = Pair();
        using var held = await PairLock.TryAcquireAsync(pair.CachePath, pair.Name, TimeSpan.Zero);
        Assert.NotNull(held);
        var holderFile = PairLock.PathFor(pair.CachePath, pair.Name) + ".holder.json";

        // The holder's clock is 3 hours ahead of ours: its lock counts as just taken, a routine overlap.
        File.WriteAllText(holderFile, $$"""{"pid":1,"host":"other-machine","startedUtc":"{{DateTimeOffset.UtcNow.AddHours(3):O}}","activity":"Syncing"}""");
        var ahead = await Sync();
        Assert.Equal(MirrorSyncStatus.Skipped, ahead.Result.Status);

        // Its clock is 3 hours behind: the lock looks hung, which is reported as a failure, but it is never taken over.
        File.WriteAllText(holderFile, $$"""{"pid":1,"host":"other-machine","startedUtc":"{{DateTimeOffset.UtcNow.AddHours(-3):O}}","activity":"Syncing"}""");
        var behind = await Sync();
        Assert.Equal(MirrorSyncStatus.Failed, behind.Result.Status);
        Assert.Contains("hung", behind.Result.Error);
        Assert.Null(await PairLock.TryAcquireAsync(pair.CachePath, pair.Name, TimeSpan.Zero));
    }
}
