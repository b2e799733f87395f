using GitMirror.Core.Apply;
using GitMirror.Core.Observe;
using GitMirror.Core.Plan;
using GitMirror.Core.Unattended;

namespace GitMirror.Core.Engine;

/// <summary>
/// A pair held for a person's change (repair, removal): the pair's lock, so a concurrent scheduled
/// sync cannot interleave; its cache; and a comparison read fresh under the lock, so the change is
/// decided from what both sides hold now, never from stale information.
/// </summary>
public sealed class LockedPair : IDisposable
{
    /// <summary>How long to wait for a running sync to finish with the pair (a sync takes seconds).</summary>
    public static TimeSpan DefaultLockTimeout { get; } = TimeSpan.FromSeconds(60);

    private readonly PairLock _lock;

    private LockedPair(MirrorPair pair, PairLock held, MirrorCache cache, SyncPlan plan)
    {
        Pair = pair;
        _lock = held;
        Cache = cache;
        Plan = plan;
    }

    public MirrorPair Pair { get; }

    public MirrorCache Cache { get; }

    /// <summary>The fresh comparison (every object it names is in the cache).</summary>
    public SyncPlan Plan { get; }

    /// <exception cref="RefChangeException">PairBusy when another run held the lock for <paramref name="lockTimeout"/>.</exception>
    /// <param name="activity">What the caller does with the pair, for anyone who finds it busy.</param>
    public static async Task<LockedPair> OpenAsync(MirrorPair pair, IMirrorLog log, TimeSpan lockTimeout, CancellationToken cancellationToken,
        MirrorRetryOptions? retry = null, PairLockActivity activity = PairLockActivity.Repairing)
    {
        var held = await PairLock.TryAcquireAsync(pair.CachePath, pair.Name, TimeSpan.Zero, cancellationToken, activity: activity).ConfigureAwait(false);
        if (held is null)
        {
            log.Verbose($"[{pair.Name}] Pair is {PairLock.DescribeHolder(pair.CachePath, pair.Name)}; waiting up to {lockTimeout.TotalSeconds:0} s");
            held = await PairLock.TryAcquireAsync(pair.CachePath, pair.Name, lockTimeout, cancellationToken, activity: activity).ConfigureAwait(false);
        }
        if (held is null)
        {
            var by = PairLock.DescribeHolder(pair.CachePath, pair.Name);
            throw new RefChangeException(RefChangeFailure.PairBusy,
                $"Pair '{pair.Name}' is {by} ({PairLock.PathFor(pair.CachePath, pair.Name)}); nothing was changed. Try again when it is done.");
        }
        MirrorCache? cache = null;
        try
        {
            cache = MirrorCache.Open(pair);
            var observation = await new PairObserver(log, retry).ObserveAsync(pair, cache, cancellationToken).ConfigureAwait(false);
            return new LockedPair(pair, held, cache, SyncPlanner.Plan(pair, observation.Refs));
        }
        catch
        {
            cache?.Dispose();
            held.Dispose();
            throw;
        }
    }

    /// <summary>The ref as both sides hold it now; null when it is on neither.</summary>
    public MirrorRefComparison? Find(string fullRef) =>
        Plan.Comparisons.FirstOrDefault(c => string.Equals(c.Ref, fullRef, StringComparison.Ordinal));

    /// <summary>
    /// The full name of <paramref name="given"/>: a full name as is; a short name as the branch or
    /// tag of that name that exists on either side.
    /// </summary>
    /// <exception cref="RefChangeException">NotFound, or Ambiguous when a branch and a tag share the short name.</exception>
    public string Resolve(string given)
    {
        if (given.StartsWith("refs/", StringComparison.Ordinal))
        {
            return Find(given) is not null ? given
                : throw new RefChangeException(RefChangeFailure.NotFound, LeftOutMessage([given]) ?? $"Pair '{Pair.Name}': {given} is on neither GitHub nor GitLab.");
        }
        var candidates = new[] { MirrorRefNames.BranchPrefix + given, MirrorRefNames.TagPrefix + given };
        var matches = candidates.Where(r => Find(r) is not null).ToList();
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new RefChangeException(RefChangeFailure.NotFound, LeftOutMessage(candidates) ?? $"Pair '{Pair.Name}': no branch or tag named '{given}' on GitHub or GitLab."),
            _ => throw new RefChangeException(RefChangeFailure.Ambiguous,
                $"Pair '{Pair.Name}': '{given}' is both a branch and a tag; give the full name ({string.Join(" or ", matches)})."),
        };
    }

    /// <summary>Says so when one of <paramref name="refs"/> exists but the ref rules leave it out; null otherwise.</summary>
    private string? LeftOutMessage(IEnumerable<string> refs) =>
        refs.FirstOrDefault(r => Plan.LeftOut.Contains(r, StringComparer.Ordinal)) is { } leftOut
            ? $"Pair '{Pair.Name}': {leftOut} is left out by the pair's ref rules (refs: in {Pair.ConfigPath}): GitMirror does not mirror, repair or delete it."
            : null;

    public void Dispose()
    {
        Cache.Dispose();
        _lock.Dispose();
    }
}
