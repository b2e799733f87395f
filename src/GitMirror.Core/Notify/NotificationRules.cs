using GitMirror.Core.Config;

namespace GitMirror.Core.Notify;

/// <summary>
/// Which message a run's recorded status calls for, given what was notified before: one message per
/// change of state, never one per run. Pure; the caller holds the pair's lock and stores the new state.
/// </summary>
public static class NotificationRules
{
    /// <summary>The event to send (null: none) and the notified state to store afterwards.</summary>
    /// <param name="notified">What was last notified: halted, failed, or null.</param>
    /// <param name="status">The pair's status as just recorded (the run's result folded in).</param>
    public static (string? Event, string? Notified) Decide(string? notified, MirrorPairStatus status, int failureThreshold)
    {
        // Another run held the pair: nothing was learnt about it.
        if (status.Status is null or MirrorSyncStatus.Skipped) return (null, notified);
        if (status.DivergedRefs.Length > 0)
        {
            // Halted, or diverged refs left alone under skip-ref.
            return notified == NotifyEvents.Halted ? (null, notified) : (NotifyEvents.Halted, NotifyEvents.Halted);
        }
        if (status.Status == MirrorSyncStatus.Failed)
        {
            // At the threshold, once; ">=" so a run that was skipped or crashed at the threshold still tells.
            return status.ConsecutiveFailures >= failureThreshold && notified != NotifyEvents.Failed
                ? (NotifyEvents.Failed, NotifyEvents.Failed)
                : (null, notified);
        }
        if (status.Healthy && notified is not null) return (NotifyEvents.Recovered, null);
        return (null, notified);
    }
}
