using GitMirror.Core.Config;
using GitMirror.Core.Engine;
using GitMirror.Core.Observe;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.Core.Tests.Engine;

/// <summary>Refs that once blocked a whole pair forever (issue 10): each is mirrored, or at least holds back nothing else.</summary>
public sealed class LivenessTests : IDisposable
{
    private readonly HttpMirrorWorld _http = new();
    private MirrorWorld World => _http.World;

    public void Dispose() => _http.Dispose();

    private MirrorPair Pair() => ConfigLoader.Load(World.ConfigPath).Pairs.Single();

    private Task<SyncOutcome> Sync() => new MirrorEngine(NullMirrorLog.Instance).SyncAsync(Pair(), _ => true, CancellationToken.None);

    [Fact]
    public async Task Tags_on_trees_and_blobs_are_mirrored_like_any_tag()
    {
        var (github, gitlab) = World.AddPair("app");
        var main = github.Commits(2);
        Git.Run(github.BarePath, "tag", "tree-lw", $"{main}^{{tree}}");
        var blob = Git.Run(github.BarePath, "rev-parse", $"{main}:{Git.Run(github.BarePath, "ls-tree", "--name-only", main).Split('\n')[0]}");
        Git.Run(github.BarePath, "tag", "blob-lw", blob);
        Git.Run(github.BarePath, "tag", "-a", "-m", "a tree, annotated", "tree-annotated", $"{main}^{{tree}}");

        var outcome = await Sync();

        Assert.True(outcome.Result.Status == MirrorSyncStatus.Synced, outcome.Result.Error);
        Assert.Equal(RepoBuilder.Refs(github.BarePath), RepoBuilder.Refs(gitlab.BarePath));
        Assert.Equal(MirrorSyncStatus.UpToDate, (await Sync()).Result.Status);
    }

    [Fact]
    public async Task Whatever_the_cache_holds_under_its_own_refs_never_fails_a_sync()
    {
        var (github, gitlab) = World.AddPair("app");
        var main = github.Commits(1);
        github.Commit("x/y", from: main);
        Assert.Equal(MirrorSyncStatus.Synced, (await Sync()).Result.Status);
        // x/y is removed by hand on both sides; the cache still has names under x/ (an older version kept
        // remote-tracking refs there) when a new branch x arrives.
        RepoBuilder.DeleteRef(github.BarePath, "refs/heads/x/y");
        RepoBuilder.DeleteRef(gitlab.BarePath, "refs/heads/x/y");
        string cachePath;
        using (var cache = MirrorCache.Open(Pair())) cachePath = cache.Path;
        foreach (var leftover in new[] { "refs/remotes/gitlab/x/y", "refs/remotes/github/x/y", "refs/mirror/gitlab/heads/x/y", "refs/heads/x/y" })
        {
            Git.Run(cachePath, "update-ref", leftover, main);
        }
        var x = github.Commit("x", from: main);

        var outcome = await Sync();

        Assert.True(outcome.Result.Status == MirrorSyncStatus.Synced, outcome.Result.Error);
        Assert.Equal(x, gitlab.TipOrNull("x"));
    }
}
