using System.Collections.Concurrent;
using GitMirror.Core.Service;
using Xunit;

namespace GitMirror.Core.Tests.Service;

public class PairSyncSchedulerTests
{
    private static readonly MirrorPair A = WebhookReceiverTests.Pair("a", "o/a", "g/a");
    private static readonly MirrorPair B = WebhookReceiverTests.Pair("b", "o/b", "g/b");

    [Fact]
    public async Task A_burst_within_the_debounce_is_one_sync_serving_every_event()
    {
        var syncs = new ConcurrentQueue<string>();
        var served = 0;
        var scheduler = new PairSyncScheduler((pair, _) =>
        {
            syncs.Enqueue(pair.Name);
            return Task.FromResult<MirrorSyncResult?>(Result(pair));
        }, TimeSpan.FromMilliseconds(300), 4, (_, events) => Interlocked.Add(ref served, events.Count));

        for (var i = 0; i < 4; i++) Assert.True(scheduler.Request(A, i));
        await scheduler.IdleAsync(new CancellationTokenSource(Timeout()).Token);
        Assert.Equal(["a"], syncs);
        Assert.Equal(4, served);
    }

    [Fact]
    public async Task A_pair_never_syncs_twice_at_once_and_requests_during_a_sync_run_exactly_one_more()
    {
        var running = 0;
        var maxRunning = 0;
        var count = 0;
        var firstStarted = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        var scheduler = new PairSyncScheduler(async (pair, _) =>
        {
            var now = Interlocked.Increment(ref running);
            maxRunning = Math.Max(maxRunning, now);
            if (Interlocked.Increment(ref count) == 1)
            {
                firstStarted.SetResult();
                await release.Task;
            }
            Interlocked.Decrement(ref running);
            return Result(pair);
        }, TimeSpan.Zero, 4);

        scheduler.Request(A);
        await firstStarted.Task.WaitAsync(Timeout());
        for (var i = 0; i < 5; i++) scheduler.Request(A);
        release.SetResult();
        await scheduler.IdleAsync(new CancellationTokenSource(Timeout()).Token);
        Assert.Equal(2, count);
        Assert.Equal(1, maxRunning);
    }

    [Fact]
    public async Task Different_pairs_sync_in_parallel_and_stop_cancels_them()
    {
        var started = new CountdownEvent(2);
        var cancelled = 0;
        var scheduler = new PairSyncScheduler(async (pair, ct) =>
        {
            started.Signal();
            try
            {
                await Task.Delay(Timeout(), ct);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref cancelled);
                throw;
            }
            return Result(pair);
        }, TimeSpan.Zero, 4);
        scheduler.Request(A);
        scheduler.Request(B);
        Assert.True(started.Wait(TimeSpan.FromSeconds(10)));
        await scheduler.StopAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, cancelled);
        Assert.False(scheduler.Request(A));
    }

    private static TimeSpan Timeout() => TimeSpan.FromSeconds(20);

    private static MirrorSyncResult Result(MirrorPair pair) => new() { Pair = pair, Status = MirrorSyncStatus.UpToDate };
}
