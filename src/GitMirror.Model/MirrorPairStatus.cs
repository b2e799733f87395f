namespace GitMirror;

/// <summary>The last recorded sync of one pair, from the cache directory.</summary>
public sealed class MirrorPairStatus
{
    public required string PairName { get; init; }

    /// <summary>The last run's status; null when the pair never ran.</summary>
    public MirrorSyncStatus? Status { get; init; }

    /// <summary>True when the last run was UpToDate or Synced with no diverged ref and no failure.</summary>
    public bool Healthy { get; init; }

    public DateTimeOffset? LastRun { get; init; }

    public DateTimeOffset? LastSuccess { get; init; }

    public int ConsecutiveFailures { get; init; }

    public string[] DivergedRefs { get; init; } = [];

    public string? LastError { get; init; }

    /// <summary>The organisation rule (its GitHub organisation) the pair comes from; null for a pair under <c>repos:</c>.</summary>
    public string? Organization { get; init; }

    /// <summary>Why the last notification (webhook, Slack, issue) of this pair could not be delivered; null when it was.</summary>
    public string? LastNotificationError { get; init; }

    public override string ToString() => $"{PairName} {(Healthy ? "healthy" : "unhealthy")}";
}
