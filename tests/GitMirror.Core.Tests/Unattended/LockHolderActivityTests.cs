using GitMirror.Core.Config;
using GitMirror.Core.Engine;
using GitMirror.Core.Unattended;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.Core.Tests.Unattended;

/// <summary>Issue 10 item 3: the lock holder says what it is doing, and a sync waits a little for a reader.</summary>
public sealed class LockHolderActivityTests : IDisposable
{
    private readonly MirrorWorld _world = new();

    public void Dispose() => _world.Dispose();

    private MirrorPair NewPair()
    {
        var (github, _) = _world.AddPair("app");
        github.Commits(1);
        return ConfigLoader.Load(_world.ConfigPath).Pairs.Single();
    }

    [Fact]
    public async Task A_sync_waits_for_a_Compare_that_holds_the_pair_and_then_syncs()
    {
        var pair = NewPair();
        var reader = await PairLock.TryAcquireAsync(pair.CachePath, pair.Name, TimeSpan.Zero, activity: PairLockActivity.Comparing);
        Assert.NotNull(reader);
        _ = Task.Delay(TimeSpan.FromSeconds(1.5)).ContinueWith(_ => reader!.Dispose());

        var outcome = await new SyncRun([pair], new SyncRunOptions(), NullMirrorLog.Instance).SyncAsync(pair, _ => true, CancellationToken.None);

        Assert.Equal(MirrorSyncStatus.Synced, outcome.Result.Status);
    }

    [Fact]
    public async Task A_Compare_that_takes_too_long_is_named_as_a_compare()
    {
        var pair = NewPair();
        using var reader = await PairLock.TryAcquireAsync(pair.CachePath, pair.Name, TimeSpan.Zero, activity: PairLockActivity.Comparing);

        var outcome = await new SyncRun([pair], new SyncRunOptions { ReadOnlyHolderWait = TimeSpan.FromMilliseconds(600) }, NullMirrorLog.Instance)
            .SyncAsync(pair, _ => true, CancellationToken.None);

        Assert.Equal(MirrorSyncStatus.Skipped, outcome.Result.Status);
        Assert.Contains($"'app' is being compared (Compare-MirrorRef) by process {Environment.ProcessId}", outcome.Warning);
    }

    [Theory]
    [InlineData(PairLockActivity.Syncing, "being synced by")]
    [InlineData(PairLockActivity.Repairing, "being repaired (Repair-MirrorDivergence) by")]
    [InlineData(PairLockActivity.Removing, "being changed (Remove-MirrorRef) by")]
    public async Task A_writer_holding_the_pair_is_not_waited_for_and_is_named(PairLockActivity activity, string expected)
    {
        var pair = NewPair();
        using var writer = await PairLock.TryAcquireAsync(pair.CachePath, pair.Name, TimeSpan.Zero, activity: activity);
        var started = DateTime.UtcNow;

        var outcome = await new SyncRun([pair], new SyncRunOptions(), NullMirrorLog.Instance).SyncAsync(pair, _ => true, CancellationToken.None);

        Assert.Equal(MirrorSyncStatus.Skipped, outcome.Result.Status);
        Assert.Contains(expected, outcome.Warning);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5), "a sync must not wait for a writer beyond -LockTimeoutSec");
    }

    [Fact]
    public void A_holder_whose_clock_is_ahead_has_held_the_lock_for_no_time_at_all()
    {
        var now = DateTimeOffset.UtcNow;
        var skewed = new PairLockHolder(1, "other-machine", now.AddHours(3), PairLockActivity.Syncing);

        Assert.Equal(TimeSpan.Zero, skewed.HeldFor(now));
        Assert.Equal(TimeSpan.FromMinutes(5), new PairLockHolder(1, "m", now.AddMinutes(-5)).HeldFor(now));
    }
}
