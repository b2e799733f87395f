using GitMirror.Core.Engine;
using GitMirror.Core.Observe;
using GitMirror.Core.Plan;

namespace GitMirror.Core.Apply;

/// <summary>The outcome of a removal: one update per side that held the ref (none when declined); Error when a side kept it.</summary>
public sealed record RemoveOutcome(MirrorRefComparison Current, IReadOnlyList<MirrorRefUpdate> Updates, RefChangeException? Error)
{
    public bool Declined => Updates.Count == 0 && Error is null;
}

/// <summary>
/// Apply, for a person's decision: deletes a branch or tag on both sides in one run, the only
/// deletion GitMirror makes (a one-sided deletion is restored by the next sync). Under the pair's
/// lock, each side's deletion is leased on the value read there, so a ref someone just moved stays.
/// </summary>
public sealed class RefRemover(IMirrorLog log)
{
    private readonly RefPusher _pusher = new(log);

    public TimeSpan LockTimeout { get; init; } = LockedPair.DefaultLockTimeout;

    /// <param name="refName">A full name, or a short branch or tag name.</param>
    /// <exception cref="RefChangeException">NotFound (on neither side), Ambiguous, PairBusy.</exception>
    /// <exception cref="Transport.GitTransportException">A side could not be read.</exception>
    public async Task<RemoveOutcome> RemoveAsync(MirrorPair pair, string refName, Func<MirrorRefComparison, bool> approve, CancellationToken cancellationToken)
    {
        using var locked = await LockedPair.OpenAsync(pair, log, LockTimeout, cancellationToken, activity: Unattended.PairLockActivity.Removing).ConfigureAwait(false);
        var current = locked.Find(locked.Resolve(refName))!;
        if (!approve(current)) return new RemoveOutcome(current, [], null);

        var updates = new List<MirrorRefUpdate>();
        RefChangeException? error = null;
        foreach (var side in new[] { MirrorSide.GitHub, MirrorSide.GitLab })
        {
            if (current.ShaOf(side) is not { } sha) continue;
            var target = RemoteEndpoint.For(pair, side);
            log.Verbose($"[{pair.Name}] Deleting {current.Ref} ({PlannedPush.Short(sha)}) on {target.Description}");
            var report = await _pusher.PushAsync(locked.Cache, target, [new PlannedPush(current.Ref, side, sha, null)], cancellationToken).ConfigureAwait(false);
            var update = report.Updates[0];
            updates.Add(update);
            if (update.Succeeded) continue;
            var failure = report.LeaseBroken is not null ? RefChangeFailure.Moved
                : report.Failure is not null ? RefChangeFailure.Transport
                : RefChangeFailure.Rejected;
            error = new RefChangeException(failure,
                $"Pair '{pair.Name}': {current.Ref} was not deleted on {target.Description}: {update.Message}." +
                (updates.Any(u => u.Succeeded) ? " It was deleted on the other side; the next sync restores it there unless you remove it again." : ""),
                report.Failure);
            // Stop at the first refusal: when the first side refused, nothing changed at all.
            break;
        }
        return new RemoveOutcome(current, updates, error);
    }
}
