using GitMirror.Core.Apply;
using GitMirror.Core.Config;
using GitMirror.Core.Engine;
using GitMirror.Core.Unattended;
using GitMirror.Testing;
using Microsoft.AspNetCore.Http;
using Xunit;

namespace GitMirror.Core.Tests.Apply;

/// <summary>Repairs against the smart-HTTP server (hooks and leases need it), checked with the git CLI.</summary>
public sealed class DivergenceRepairerTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2025, 5, 2, 10, 15, 0, TimeSpan.Zero);
    private const string Stamp = "20250502T101500Z";

    private readonly HttpMirrorWorld _http = new();
    private MirrorWorld World => _http.World;

    public void Dispose() => _http.Dispose();

    private MirrorPair Pair(string name = "app") => ConfigLoader.Load(World.ConfigPath).Pairs.Single(p => p.Name == name);

    private static MirrorEngine Engine => new(NullMirrorLog.Instance);

    private async Task<MirrorRefComparison> Compare(string refName) =>
        (await Engine.CompareAsync(Pair(), CancellationToken.None)).Comparisons.Single(c => c.Ref == refName);

    private static Task<IReadOnlyList<RepairOutcome>> Repair(MirrorPair pair, RepairRequest request, MirrorSide winner, Func<RepairStep, bool>? approve = null) =>
        new DivergenceRepairer(NullMirrorLog.Instance, new FixedTime(Now)).RepairAsync(pair, [request], winner, approve ?? (_ => true), CancellationToken.None);

    /// <summary>A pair whose main diverged: a shared base, then one commit on each side. Returns both tips.</summary>
    private async Task<(RepoBuilder GitHub, RepoBuilder GitLab, string GitHubTip, string GitLabTip)> DivergedMain()
    {
        var (github, gitlab) = World.AddPair("app");
        var shared = github.Commits(2);
        Assert.Equal(MirrorSyncStatus.Synced, (await Engine.SyncAsync(Pair(), _ => true, CancellationToken.None)).Result.Status);
        return (github, gitlab, github.Commit("main", from: shared), gitlab.Commit("main", from: shared));
    }

    private static string Sha(RepoBuilder repo, string refName) => Git.Run(repo.BarePath, "rev-parse", refName);

    [Theory]
    [InlineData(MirrorSide.GitHub)]
    [InlineData(MirrorSide.GitLab)]
    public async Task A_diverged_branch_takes_the_winners_commit_and_keeps_the_losers_at_the_backup_ref_then_syncs(MirrorSide winner)
    {
        var (github, gitlab, githubTip, gitlabTip) = await DivergedMain();
        var (winnerRepo, loserRepo, winnerTip, loserTip) = winner == MirrorSide.GitHub
            ? (github, gitlab, githubTip, gitlabTip)
            : (gitlab, github, gitlabTip, githubTip);
        var seen = await Compare("refs/heads/main");
        Assert.True(seen.Diverged);

        var outcome = Assert.Single(await Repair(Pair(), RepairRequest.From(seen), winner));

        Assert.Null(outcome.Error);
        var result = outcome.Result!;
        var backup = $"refs/heads/gitmirror/backup/{Stamp}/main";
        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(("app", "refs/heads/main", winner, loserTip, winnerTip, backup), (result.PairName, result.Ref, result.Winner, result.OldSha, result.NewSha, result.BackupRef));
        Assert.Equal(winnerTip, Sha(loserRepo, "refs/heads/main"));
        Assert.Equal(loserTip, Sha(loserRepo, backup));
        Assert.Equal(winnerTip, Sha(winnerRepo, "refs/heads/main"));
        Assert.DoesNotContain(backup, RepoBuilder.Refs(winnerRepo.BarePath).Keys);

        // The next sync mirrors the backup to the winner too, and the pair is whole again.
        var sync = await Engine.SyncAsync(Pair(), _ => true, CancellationToken.None);
        Assert.Equal(MirrorSyncStatus.Synced, sync.Result.Status);
        Assert.Equal(backup, Assert.Single(sync.Result.Updates).Ref);
        Assert.Equal(loserTip, Sha(winnerRepo, backup));
        Assert.All((await Engine.CompareAsync(Pair(), CancellationToken.None)).Comparisons, c => Assert.Equal(MirrorRefStatus.InSync, c.Status));
        Assert.Equal(RepoBuilder.Refs(github.BarePath).OrderBy(r => r.Key), RepoBuilder.Refs(gitlab.BarePath).OrderBy(r => r.Key));
    }

    [Fact]
    public async Task A_moved_tag_is_repaired_and_the_old_tag_kept_under_refs_tags_backup()
    {
        var (github, gitlab) = World.AddPair("app");
        var first = github.Commits(1);
        await Engine.SyncAsync(Pair(), _ => true, CancellationToken.None);
        var second = gitlab.Commit("main");
        github.Tag("v1", first);
        gitlab.Tag("v1", second);

        var outcome = Assert.Single(await Repair(Pair(), RepairRequest.From(await Compare("refs/tags/v1")), MirrorSide.GitLab));

        Assert.True(outcome.Result!.Succeeded, outcome.Result.Message);
        Assert.Equal($"refs/tags/gitmirror/backup/{Stamp}/v1", outcome.Result.BackupRef);
        Assert.Equal(second, Sha(github, "refs/tags/v1"));
        Assert.Equal(first, Sha(github, outcome.Result.BackupRef!));
    }

    [Fact]
    public async Task An_annotated_tag_that_loses_to_a_lightweight_one_is_kept_as_a_tag_object()
    {
        var (github, gitlab) = World.AddPair("app");
        var main = github.Commits(1);
        await Engine.SyncAsync(Pair(), _ => true, CancellationToken.None);
        var annotated = github.Tag("v1", main, "release one");
        gitlab.Tag("v1", main);
        var seen = await Compare("refs/tags/v1");
        Assert.True(seen.Diverged);

        var outcome = Assert.Single(await Repair(Pair(), RepairRequest.From(seen), MirrorSide.GitLab));

        Assert.True(outcome.Result!.Succeeded, outcome.Result.Message);
        Assert.Equal(main, Sha(github, "refs/tags/v1"));
        Assert.Equal("commit", Git.Run(github.BarePath, "cat-file", "-t", "refs/tags/v1"));
        Assert.Equal(annotated, Sha(github, outcome.Result.BackupRef!));
        Assert.Equal("tag", Git.Run(github.BarePath, "cat-file", "-t", outcome.Result.BackupRef!));
    }

    [Fact]
    public async Task A_ref_that_moved_since_the_comparison_is_refused_and_nothing_changes()
    {
        var (github, gitlab, _, gitlabTip) = await DivergedMain();
        var seen = await Compare("refs/heads/main");
        gitlab.Commit("main", from: gitlabTip);
        var (before1, before2) = (RepoBuilder.Refs(github.BarePath), RepoBuilder.Refs(gitlab.BarePath));
        var asked = false;

        var outcome = Assert.Single(await Repair(Pair(), RepairRequest.From(seen), MirrorSide.GitHub, _ => asked = true));

        Assert.Equal(RefChangeFailure.Moved, outcome.Error!.Failure);
        Assert.Contains("moved since it was compared", outcome.Error.Message);
        Assert.Null(outcome.Result);
        Assert.False(asked);
        Assert.Equal(before1, RepoBuilder.Refs(github.BarePath));
        Assert.Equal(before2, RepoBuilder.Refs(gitlab.BarePath));
    }

    [Fact]
    public async Task A_refused_backup_overwrites_nothing()
    {
        var (_, gitlab, _, gitlabTip) = await DivergedMain();
        HttpMirrorWorld.InstallHook(gitlab.BarePath, "update",
            "#!/bin/sh\ncase \"$1\" in refs/heads/gitmirror/*) echo 'backups are protected' >&2; exit 1;; esac\nexit 0\n");

        var outcome = Assert.Single(await Repair(Pair(), RepairRequest.From(await Compare("refs/heads/main")), MirrorSide.GitHub));

        Assert.Equal(RefChangeFailure.BackupFailed, outcome.Error!.Failure);
        Assert.False(outcome.Result!.Succeeded);
        Assert.Null(outcome.Result.BackupRef);
        Assert.Contains("nothing was overwritten", outcome.Result.Message);
        Assert.Equal(gitlabTip, Sha(gitlab, "refs/heads/main"));
        Assert.DoesNotContain(RepoBuilder.Refs(gitlab.BarePath).Keys, r => r.Contains("backup"));
    }

    /// <summary>Someone pushes to the losing side between the backup and the overwrite.</summary>
    [Theory]
    [InlineData("GET", RefChangeFailure.Moved)]     // before the advertisement: the negotiation callback sees it
    [InlineData("POST", RefChangeFailure.Rejected)] // after it: the server's own old-value check refuses
    public async Task A_losing_side_that_moves_during_the_repair_keeps_its_new_commit(string when, RefChangeFailure expected)
    {
        var (_, gitlab, _, gitlabTip) = await DivergedMain();
        var pushedMeanwhile = gitlab.Commit("other", from: gitlabTip);
        var receivePacks = 0;
        _http.Server.Intercept = context =>
        {
            var isReceivePack = context.Request.Path.Value!.Contains("/gitlab/")
                && (context.Request.Query["service"] == "git-receive-pack" || context.Request.Path.Value.EndsWith("/git-receive-pack"));
            // The second push to GitLab is the overwrite (the first is the backup).
            if (isReceivePack && context.Request.Method == when && Interlocked.Increment(ref receivePacks) == 2)
            {
                RepoBuilder.SetRef(gitlab.BarePath, "refs/heads/main", pushedMeanwhile);
            }
            return Task.FromResult(false);
        };

        var outcome = Assert.Single(await Repair(Pair(), RepairRequest.From(await Compare("refs/heads/main")), MirrorSide.GitHub));

        Assert.Equal(2, receivePacks);
        Assert.Equal(expected, outcome.Error!.Failure);
        Assert.False(outcome.Result!.Succeeded);
        Assert.Equal(pushedMeanwhile, Sha(gitlab, "refs/heads/main"));
        Assert.Equal(gitlabTip, Sha(gitlab, outcome.Result.BackupRef!));
    }

    [Fact]
    public async Task Declined_at_the_confirmation_changes_nothing_and_the_step_names_what_would_happen()
    {
        var (github, gitlab, githubTip, gitlabTip) = await DivergedMain();
        var (githubBefore, gitlabBefore) = (RepoBuilder.Refs(github.BarePath), RepoBuilder.Refs(gitlab.BarePath));
        RepairStep? asked = null;

        var outcome = Assert.Single(await Repair(Pair(), new RepairRequest("main"), MirrorSide.GitHub, step =>
        {
            asked = step;
            return false;
        }));

        Assert.True(outcome.Declined);
        Assert.Equal((MirrorSide.GitLab, gitlabTip, githubTip, $"refs/heads/gitmirror/backup/{Stamp}/main"),
            (asked!.Loser, asked.OldSha, asked.NewSha, asked.BackupRef));
        Assert.Equal(githubBefore, RepoBuilder.Refs(github.BarePath));
        Assert.Equal(gitlabBefore, RepoBuilder.Refs(gitlab.BarePath));
    }

    [Fact]
    public async Task A_ref_that_is_not_diverged_or_not_there_is_refused()
    {
        var (github, _) = World.AddPair("app");
        github.Commits(1);
        await Engine.SyncAsync(Pair(), _ => true, CancellationToken.None);

        var outcomes = await new DivergenceRepairer(NullMirrorLog.Instance).RepairAsync(Pair(),
            [RepairRequest.From(await Compare("refs/heads/main")), new RepairRequest("nope")], MirrorSide.GitHub, _ => true, CancellationToken.None);

        Assert.Equal([RefChangeFailure.NotDiverged, RefChangeFailure.NotFound], outcomes.Select(o => o.Error!.Failure));
        Assert.All(outcomes, o => Assert.Null(o.Result));
    }

    [Fact]
    public async Task A_pair_held_by_a_running_sync_is_not_touched()
    {
        await DivergedMain();
        var pair = Pair();
        using var held = await PairLock.TryAcquireAsync(pair.CachePath, pair.Name, TimeSpan.Zero);

        var repairer = new DivergenceRepairer(NullMirrorLog.Instance) { LockTimeout = TimeSpan.FromMilliseconds(50) };
        var e = await Assert.ThrowsAsync<RefChangeException>(() =>
            repairer.RepairAsync(pair, [new RepairRequest("main")], MirrorSide.GitHub, _ => true, CancellationToken.None));

        Assert.Equal(RefChangeFailure.PairBusy, e.Failure);
    }

    [Fact]
    public void Backup_refs_are_named_as_design_md_says()
    {
        var when = new DateTimeOffset(2025, 5, 2, 12, 15, 0, TimeSpan.FromHours(2));
        Assert.Equal($"refs/heads/gitmirror/backup/{Stamp}/feature/x", DivergenceRepairer.BackupRefFor("refs/heads/feature/x", when));
        Assert.Equal($"refs/tags/gitmirror/backup/{Stamp}/v1.0", DivergenceRepairer.BackupRefFor("refs/tags/v1.0", when));
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
