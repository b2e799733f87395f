using GitMirror.Core.Apply;
using GitMirror.Core.Config;
using GitMirror.Core.Engine;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.Core.Tests.Engine;

/// <summary>
/// Refs that cannot coexist across the sides (issue 13 bug 6, issue 10 item 2): x on one side and
/// x/y on the other, Foo and foo. Over smart HTTP, checked with the git CLI.
/// </summary>
public sealed class ConflictTests : IDisposable
{
    private readonly HttpMirrorWorld _http = new();
    private MirrorWorld World => _http.World;

    public void Dispose() => _http.Dispose();

    private MirrorPair Pair() => ConfigLoader.Load(World.ConfigPath).Pairs.Single();

    private static MirrorEngine Engine => new(NullMirrorLog.Instance);

    private static string Both(RepoBuilder github, RepoBuilder gitlab) =>
        string.Join('\n', RepoBuilder.Refs(github.BarePath).Select(r => $"GitHub {r}").Order(StringComparer.Ordinal)) + "\n" +
        string.Join('\n', RepoBuilder.Refs(gitlab.BarePath).Select(r => $"GitLab {r}").Order(StringComparer.Ordinal));

    private Task<SyncOutcome> Sync() => Engine.SyncAsync(Pair(), _ => true, CancellationToken.None);

    /// <summary>main in sync; then x on GitHub, x/y on GitLab, and a new branch "other" on GitHub.</summary>
    private async Task<(RepoBuilder GitHub, RepoBuilder GitLab)> XAgainstXY(string? policy = null)
    {
        var (github, gitlab) = World.AddPair("app", policy: policy);
        var main = github.Commits(2);
        Assert.Equal(MirrorSyncStatus.Synced, (await Sync()).Result.Status);
        github.Commit("x", from: main);
        gitlab.Commit("x/y", from: main);
        github.Commit("other", from: main);
        return (github, gitlab);
    }

    [Fact]
    public async Task X_against_x_y_halts_the_pair_and_pushes_nothing()
    {
        var (github, gitlab) = await XAgainstXY();
        var before = Both(github, gitlab);

        var outcome = await Sync();

        Assert.Equal(MirrorSyncStatus.Halted, outcome.Result.Status);
        Assert.Equal(["refs/heads/x", "refs/heads/x/y"], outcome.Result.DivergedRefs);
        Assert.Empty(outcome.Result.Updates);
        Assert.Equal(before, Both(github, gitlab));
        var x = outcome.Plan!.Comparisons.Single(c => c.Ref == "refs/heads/x");
        Assert.Equal((MirrorRefStatus.Conflict, true), (x.Status, x.Diverged));
        Assert.Equal(["refs/heads/x/y"], x.ConflictsWith);
        Assert.Equal(MirrorExitCodes.Diverged, MirrorExitCodes.For([outcome.Result]));
    }

    [Fact]
    public async Task Under_skip_ref_the_rest_syncs_and_the_conflict_is_still_named()
    {
        var (github, gitlab) = await XAgainstXY("skip-ref");

        var outcome = await Sync();

        Assert.Equal(MirrorSyncStatus.Synced, outcome.Result.Status);
        Assert.Equal(["refs/heads/x", "refs/heads/x/y"], outcome.Result.DivergedRefs);
        Assert.Equal(["refs/heads/other"], outcome.Result.Updates.Select(u => u.Ref));
        Assert.Equal(github.TipOrNull("other"), gitlab.TipOrNull("other"));
        Assert.Null(gitlab.TipOrNull("x"));
        Assert.Null(github.TipOrNull("x/y"));
        Assert.Equal(MirrorExitCodes.Diverged, MirrorExitCodes.For([outcome.Result]));
    }

    [Theory]
    [InlineData(MirrorSide.GitHub, "refs/heads/x")]
    [InlineData(MirrorSide.GitHub, "refs/heads/x/y")]
    [InlineData(MirrorSide.GitLab, "refs/heads/x")]
    [InlineData(MirrorSide.GitLab, "refs/heads/x/y")]
    public async Task Repair_keeps_the_winners_names_backs_up_the_losers_then_the_pair_syncs(MirrorSide winner, string requested)
    {
        var (github, gitlab) = await XAgainstXY();
        var x = github.TipOrNull("x")!;
        var xy = gitlab.TipOrNull("x/y")!;
        var seen = (await Engine.CompareAsync(Pair(), CancellationToken.None)).Comparisons.Single(c => c.Ref == requested);
        RepairStep? asked = null;

        var outcome = Assert.Single(await new DivergenceRepairer(NullMirrorLog.Instance)
            .RepairAsync(Pair(), [RepairRequest.From(seen)], winner, step => (asked = step) is not null, CancellationToken.None));

        Assert.Null(outcome.Error);
        Assert.Contains("remove", asked!.Conflict);
        Assert.All(outcome.Results, r => Assert.True(r.Succeeded, r.Message));
        var (loser, lostRef, lostSha, keptRef, keptSha) = winner == MirrorSide.GitHub
            ? (gitlab, "refs/heads/x/y", xy, "refs/heads/x", x)
            : (github, "refs/heads/x", x, "refs/heads/x/y", xy);
        var removed = outcome.Results.Single(r => r.Ref == lostRef);
        Assert.Equal((lostSha, (string?)null), (removed.OldSha, removed.NewSha));
        Assert.Equal(lostSha, Git.Run(loser.BarePath, "rev-parse", removed.BackupRef!));
        Assert.StartsWith("refs/heads/gitmirror/backup/", removed.BackupRef);
        Assert.Equal(keptSha, Git.Run(loser.BarePath, "rev-parse", keptRef));
        Assert.False(RepoBuilder.Refs(loser.BarePath).ContainsKey(lostRef));

        // The next sync mirrors the rest (other, the backup) and leaves both sides identical.
        var sync = await Sync();
        Assert.Equal(MirrorSyncStatus.Synced, sync.Result.Status);
        Assert.Empty(sync.Result.DivergedRefs);
        Assert.Equal(RepoBuilder.Refs(github.BarePath), RepoBuilder.Refs(gitlab.BarePath));
    }

    [Fact]
    public async Task Remove_MirrorRef_of_one_name_resolves_the_conflict()
    {
        var (github, gitlab) = await XAgainstXY();

        var removal = await new RefRemover(NullMirrorLog.Instance).RemoveAsync(Pair(), "x", _ => true, CancellationToken.None);

        Assert.Null(removal.Error);
        Assert.Equal(MirrorSide.GitHub, Assert.Single(removal.Updates).Target);
        var sync = await Sync();
        Assert.Equal(MirrorSyncStatus.Synced, sync.Result.Status);
        Assert.Equal(RepoBuilder.Refs(github.BarePath), RepoBuilder.Refs(gitlab.BarePath));
        Assert.True(RepoBuilder.Refs(github.BarePath).ContainsKey("refs/heads/x/y"));
    }

    [Fact]
    public async Task Foo_against_foo_is_a_conflict_until_repaired()
    {
        var (github, gitlab) = World.AddPair("app");
        var main = github.Commits(1);
        Assert.Equal(MirrorSyncStatus.Synced, (await Sync()).Result.Status);
        github.Commit("Foo", from: main);
        gitlab.Commit("foo", from: main);

        var halted = await Sync();
        Assert.Equal(MirrorSyncStatus.Halted, halted.Result.Status);
        Assert.Equal(["refs/heads/Foo", "refs/heads/foo"], halted.Result.DivergedRefs);

        var outcome = Assert.Single(await new DivergenceRepairer(NullMirrorLog.Instance)
            .RepairAsync(Pair(), [new RepairRequest("foo")], MirrorSide.GitLab, _ => true, CancellationToken.None));
        Assert.Null(outcome.Error);
        Assert.Equal(MirrorSyncStatus.Synced, (await Sync()).Result.Status);
        Assert.Equal(RepoBuilder.Refs(github.BarePath), RepoBuilder.Refs(gitlab.BarePath));
        Assert.Null(github.TipOrNull("Foo"));
    }

    [Fact]
    public async Task A_conflicting_ref_that_moved_since_it_was_compared_is_not_repaired()
    {
        var (github, gitlab) = await XAgainstXY();
        var seen = (await Engine.CompareAsync(Pair(), CancellationToken.None)).Comparisons.Single(c => c.Ref == "refs/heads/x");
        github.Commit("x");
        var before = Both(github, gitlab);

        var outcome = Assert.Single(await new DivergenceRepairer(NullMirrorLog.Instance)
            .RepairAsync(Pair(), [RepairRequest.From(seen)], MirrorSide.GitLab, _ => true, CancellationToken.None));

        Assert.Equal(RefChangeFailure.Moved, outcome.Error?.Failure);
        Assert.Equal(before, Both(github, gitlab));
    }
}
