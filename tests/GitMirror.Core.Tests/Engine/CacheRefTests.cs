using GitMirror.Core.Observe;
using GitMirror.Core.Apply;
using GitMirror.Core.Config;
using GitMirror.Core.Engine;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.Core.Tests.Engine;

/// <summary>The cache's refs/mirror/* copies must never keep a pair from syncing, nor stand in for what a side holds now.</summary>
public sealed class CacheRefTests : IDisposable
{
    private readonly HttpMirrorWorld _http = new();
    private MirrorWorld World => _http.World;

    public void Dispose() => _http.Dispose();

    private MirrorPair Pair() => ConfigLoader.Load(World.ConfigPath).Pairs.Single();

    private Task<SyncOutcome> Sync() => new MirrorEngine(NullMirrorLog.Instance).SyncAsync(Pair(), _ => true, CancellationToken.None);

    [Fact]
    public async Task Lock_files_left_in_the_cache_by_a_killed_run_do_not_block_the_next()
    {
        var (github, gitlab) = World.AddPair("app");
        github.Commits(1);
        Assert.Equal(MirrorSyncStatus.Synced, (await Sync()).Result.Status);
        var main = github.Commit("main");
        string cachePath;
        using (var cache = MirrorCache.Open(Pair())) cachePath = cache.Path;
        // What a SIGKILL during a ref update and a config write leaves behind.
        var refLock = Path.Combine(cachePath, "refs", "mirror", "github", "heads", "main.lock");
        Directory.CreateDirectory(Path.GetDirectoryName(refLock)!);
        File.WriteAllText(refLock, "");
        File.WriteAllText(Path.Combine(cachePath, "config.lock"), "");

        var outcome = await Sync();

        Assert.Equal(MirrorSyncStatus.Synced, outcome.Result.Status);
        Assert.Equal(main, Git.Run(gitlab.BarePath, "rev-parse", "refs/heads/main"));
    }

    [Fact]
    public async Task A_branch_named_like_a_removed_one_plus_a_slash_syncs()
    {
        var (github, gitlab) = World.AddPair("app");
        var main = github.Commits(1);
        github.Commit("feature", from: main);
        Assert.Equal(MirrorSyncStatus.Synced, (await Sync()).Result.Status);
        var removed = await new RefRemover(NullMirrorLog.Instance).RemoveAsync(Pair(), "feature", _ => true, CancellationToken.None);
        Assert.Null(removed.Error);

        // feature is gone from both sides, so feature/x is a legal new branch; the cache's old
        // refs/mirror/*/heads/feature must not block it (a file/directory conflict in the cache).
        var x = github.Commit("feature/x", from: main);
        var outcome = await Sync();

        Assert.True(outcome.Result.Status == MirrorSyncStatus.Synced, outcome.Result.Error);
        Assert.Equal(x, gitlab.TipOrNull("feature/x"));
    }

    [Fact]
    public async Task A_branch_deleted_between_listing_and_fetch_is_not_read_from_the_cache()
    {
        var (github, gitlab) = World.AddPair("app");
        var main = github.Commits(1);
        var old = github.Commit("topic", from: main);
        Assert.Equal(MirrorSyncStatus.Synced, (await Sync()).Result.Status);
        // GitLab moves topic on; GitHub rewinds its topic to an unrelated commit, so the cache lacks it and fetches.
        var gitlabTopic = gitlab.Commit("topic", from: old);
        var githubTopic = github.Commit("topic2", from: main);
        RepoBuilder.SetRef(github.BarePath, "refs/heads/topic", githubTopic);
        RepoBuilder.DeleteRef(github.BarePath, "refs/heads/topic2");

        // Between listing and the fetch, GitHub's topic is deleted.
        var gets = 0;
        _http.Server.Intercept = context =>
        {
            if (context.Request.Method == "GET" && context.Request.Path.Value!.Contains("/github/")
                && Interlocked.Increment(ref gets) == 2)
            {
                RepoBuilder.DeleteRef(github.BarePath, "refs/heads/topic");
            }
            return Task.FromResult(false);
        };

        var outcome = await Sync();

        // The cache's old copy (old) is not what GitHub holds: GitHub has no topic now, so no
        // comparison or push may be made as if it had old.
        Assert.DoesNotContain(outcome.Plan?.Comparisons ?? [], c => c.Ref == "refs/heads/topic" && c.GitHubSha == old);
        Assert.Equal(gitlabTopic, gitlab.TipOrNull("topic"));
    }

    [Fact]
    public async Task The_cache_is_consolidated_past_a_threshold_and_keeps_every_object()
    {
        var (github, _) = World.AddPair("app");
        var commits = new List<string>();
        for (var i = 0; i < MirrorCache.PackThreshold + 8; i++) commits.Add(github.Commit("main"));
        using var cache = MirrorCache.Open(Pair());
        // One pack per commit, as that many incremental fetches leave.
        var previous = "";
        foreach (var commit in commits)
        {
            var stdin = previous.Length == 0 ? $"{commit}\n" : $"{commit}\n^{previous}\n";
            var psi = new System.Diagnostics.ProcessStartInfo("git") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in new[] { "--git-dir", github.BarePath, "pack-objects", "--revs", "-q", Path.Combine(cache.Path, "objects", "pack", "pack") }) psi.ArgumentList.Add(a);
            using var process = System.Diagnostics.Process.Start(psi)!;
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
            await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            previous = commit;
        }
        int Packs() => Directory.EnumerateFiles(Path.Combine(cache.Path, "objects", "pack"), "*.pack").Count();
        Assert.Equal(commits.Count, Packs());

        Assert.True(await cache.ConsolidateAsync(NullMirrorLog.Instance, CancellationToken.None));

        Assert.True(Packs() <= 4, $"{Packs()} packs");
        Assert.All(commits, c => Assert.True(cache.Contains(c)));
        Assert.Equal(0, Git.TryRun(cache.Path, "fsck", "--connectivity-only", commits[^1]).Code);
        Assert.False(await cache.ConsolidateAsync(NullMirrorLog.Instance, CancellationToken.None)); // under the threshold: nothing to do
        Assert.Equal(MirrorSyncStatus.Synced, (await Sync()).Result.Status);
    }
}
