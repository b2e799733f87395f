using GitMirror.Core.Plan;

namespace GitMirror.Core.Engine;

/// <summary>A pair's sync result plus what the cmdlet needs to report it well.</summary>
public sealed class SyncOutcome
{
    public required MirrorSyncResult Result { get; init; }

    /// <summary>The plan, when Observe got that far.</summary>
    public SyncPlan? Plan { get; init; }

    /// <summary>What made the pair fail before any push (null for push rejections, which are in the updates).</summary>
    public Exception? Failure { get; init; }

    /// <summary>The pair was not tried: its host refused too many tokens in this run (GitLab bans IPs for that).</summary>
    public bool CircuitOpen { get; init; }

    /// <summary>Another pair's error already said why this one failed: write no second record.</summary>
    public bool ErrorAlreadyReported { get; init; }

    /// <summary>Something to warn about rather than fail on (a pair skipped because another run holds it).</summary>
    public string? Warning { get; init; }

    /// <summary>Pushes the caller declined (-WhatIf, or No at -Confirm).</summary>
    public IReadOnlyList<PlannedPush> Declined { get; init; } = [];
}
