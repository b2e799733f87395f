using System.Diagnostics;
using GitMirror.Core.Apply;
using GitMirror.Core.Lfs;
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
    private readonly LfsMirror _lfs = new(log);

    /// <summary>
    /// Observes a pair and plans, changing nothing on either side. It holds the pair's lock while it
    /// fetches into the cache, so it never moves the cache refs a running sync is about to push.
    /// </summary>
    public async Task<SyncPlan> CompareAsync(MirrorPair pair, CancellationToken cancellationToken)
    {
        using var held = await LockedPair.OpenAsync(pair, log, LockedPair.DefaultLockTimeout, cancellationToken, retry, PairLockActivity.Comparing).ConfigureAwait(false);
        var plan = held.Plan;
        var comparisons = await LfsInspector.InspectAsync(pair, held.Cache, plan.Comparisons, log, cancellationToken).ConfigureAwait(false);
        return ReferenceEquals(comparisons, plan.Comparisons) ? plan
            : new SyncPlan { Pair = plan.Pair, Comparisons = comparisons, Pushes = plan.Pushes, Diverged = plan.Diverged, Halted = plan.Halted, TargetAhead = plan.TargetAhead, LeftOut = plan.LeftOut };
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
            foreach (var ahead in plan.TargetAhead) log.Warning(RefRuleMessages.TargetAhead(ahead));
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
                // A ref moves only once the LFS objects its new commits point to are on the target.
                var lfs = await _lfs.PrepareAsync(pair, cache, plan, group.ToList(), cancellationToken).ConfigureAwait(false);
                updates.AddRange(lfs.Blocked);
                var pushed = await _pusher.PushAsync(cache, target, lfs.Ready, cancellationToken).ConfigureAwait(false);
                updates.AddRange(pushed.Updates);
                pushFailure ??= pushed.Failure;
            }

            await ConsolidateAsync(cache, cancellationToken).ConfigureAwait(false);
            var failed = updates.Where(u => !u.Succeeded).ToList();
            // Declined at a -Confirm prompt: the pair is not in sync, by the user's choice.
            var status = failed.Count > 0 ? MirrorSyncStatus.Failed
                : declined.Count > 0 ? MirrorSyncStatus.Skipped
                : updates.Count > 0 ? MirrorSyncStatus.Synced
                : MirrorSyncStatus.UpToDate;
            var error = failed.Count > 0 ? string.Join("; ", failed.Select(f => $"{f.Ref}: {f.Message}").Distinct())
                : declined.Count > 0 ? "declined at the prompt: " + string.Join(", ", declined.Select(d => $"{d.Ref} to {d.Target}"))
                : null;
            log.Verbose($"[{pair.Name}] {status}: {updates.Count - failed.Count} of {updates.Count} pushes succeeded");
            return Outcome(status, updates, diverged, error, pushFailure, declined);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped (Ctrl+C, or the pipeline no longer takes output): not the pair's failure.
            throw;
        }
        catch (Exception e)
        {
            log.Verbose($"[{pair.Name}] Failed: {e.Message}");
            return Outcome(MirrorSyncStatus.Failed, [], plan?.Diverged.Select(d => d.Ref).ToArray() ?? [], e.Message, e);
        }

        async Task ConsolidateAsync(MirrorCache cache, CancellationToken ct)
        {
            try
            {
                await cache.ConsolidateAsync(log, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.Verbose($"[{pair.Name}] Consolidating the cache failed (only speed is lost): {e.Message}");
            }
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
