using System.Diagnostics;
using GitMirror.Core.Apply;
using GitMirror.Core.Observe;
using GitMirror.Core.Plan;
using GitMirror.Core.Unattended;

namespace GitMirror.Core.Engine;

/// <summary>
/// Runs one pair through the stages: Observe (list refs, fetch into the cache) → Plan (pure) →
/// Apply (push) → Report (a MirrorSyncResult). A failure is the pair's result, never an exception
/// that would stop the other pairs; only cancellation propagates.
/// </summary>
public sealed class MirrorEngine(IMirrorLog log, Unattended.MirrorRetryOptions? retry = null)
{
    private readonly PairObserver _observer = new(log, retry);
    private readonly RefPusher _pusher = new(log);

    /// <summary>
    /// Observes a pair and plans, changing nothing on either side. It holds the pair's lock while it
    /// fetches into the cache, so it never moves the cache refs a running sync is about to push.
    /// </summary>
    public async Task<SyncPlan> CompareAsync(MirrorPair pair, CancellationToken cancellationToken)
    {
        using var held = await LockedPair.OpenAsync(pair, log, LockedPair.DefaultLockTimeout, cancellationToken, retry, PairLockActivity.Comparing).ConfigureAwait(false);
        return held.Plan;
    }

    /// <summary>Syncs a pair. <paramref name="approve"/> is asked for each push (ShouldProcess).</summary>
    public async Task<SyncOutcome> SyncAsync(MirrorPair pair, Func<PlannedPush, bool> approve, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        SyncPlan? plan = null;
        try
        {
            using var cache = MirrorCache.Open(pair);
            var observation = await _observer.ObserveAsync(pair, cache, cancellationToken).ConfigureAwait(false);
            plan = SyncPlanner.Plan(pair, observation.Refs);
            var diverged = plan.Diverged.Select(d => d.Ref).ToArray();
            if (plan.Halted)
            {
                log.Verbose($"[{pair.Name}] Halted: {diverged.Length} diverged refs ({string.Join(", ", diverged)}); nothing pushed");
                return Outcome(MirrorSyncStatus.Halted, [], diverged, $"diverged: {string.Join(", ", diverged)}");
            }

            var approved = new List<PlannedPush>();
            var declined = new List<PlannedPush>();
            foreach (var push in plan.Pushes)
            {
                (approve(push) ? approved : declined).Add(push);
            }

            var updates = new List<MirrorRefUpdate>();
            Exception? pushFailure = null;
            foreach (var group in approved.GroupBy(p => p.Target))
            {
                var target = RemoteEndpoint.For(pair, group.Key);
                var pushed = await Task.Run(() => _pusher.Push(cache, target, group.ToList(), cancellationToken), cancellationToken).ConfigureAwait(false);
                updates.AddRange(pushed.Updates);
                pushFailure ??= pushed.Failure;
            }

            var failed = updates.Where(u => !u.Succeeded).ToList();
            var status = failed.Count > 0 ? MirrorSyncStatus.Failed
                : updates.Count > 0 ? MirrorSyncStatus.Synced
                : MirrorSyncStatus.UpToDate;
            var error = failed.Count > 0 ? string.Join("; ", failed.Select(f => $"{f.Ref}: {f.Message}").Distinct()) : null;
            log.Verbose($"[{pair.Name}] {status}: {updates.Count - failed.Count} of {updates.Count} pushes succeeded");
            return Outcome(status, updates, diverged, error, pushFailure, declined);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            log.Verbose($"[{pair.Name}] Failed: {e.Message}");
            return Outcome(MirrorSyncStatus.Failed, [], plan?.Diverged.Select(d => d.Ref).ToArray() ?? [], e.Message, e);
        }

        SyncOutcome Outcome(MirrorSyncStatus status, IReadOnlyList<MirrorRefUpdate> updates, string[] diverged, string? error,
            Exception? failure = null, IReadOnlyList<PlannedPush>? declined = null) => new()
        {
            Result = new MirrorSyncResult
            {
                Pair = pair,
                Status = status,
                Updates = [.. updates],
                DivergedRefs = diverged,
                Error = error,
                Duration = clock.Elapsed,
                StartTime = started,
            },
            Plan = plan,
            Failure = failure,
            Declined = declined ?? [],
        };
    }
}
