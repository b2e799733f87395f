namespace GitMirror.Core.Plan;

/// <summary>What a sync of one pair will do, decided from what Observe saw.</summary>
public sealed class SyncPlan
{
    public required MirrorPair Pair { get; init; }

    /// <summary>Every mirrored ref of the pair, sorted by name.</summary>
    public required IReadOnlyList<MirrorRefComparison> Comparisons { get; init; }

    /// <summary>The pushes to make; empty when the pair is halted.</summary>
    public required IReadOnlyList<PlannedPush> Pushes { get; init; }

    public required IReadOnlyList<MirrorRefComparison> Diverged { get; init; }

    /// <summary>True when a ref diverged under halt-pair: nothing is pushed.</summary>
    public bool Halted { get; init; }

    /// <summary>
    /// Refs mirrored one way whose target side moved ahead of the source: never pushed back, and
    /// worth a warning (someone committed on the side that only receives).
    /// </summary>
    public IReadOnlyList<MirrorRefComparison> TargetAhead { get; init; } = [];

    /// <summary>Refs a side holds that the pair's ref rules leave out (full names, sorted): never compared or pushed.</summary>
    public IReadOnlyList<string> LeftOut { get; init; } = [];
}
