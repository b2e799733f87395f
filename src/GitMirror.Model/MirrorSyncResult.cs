namespace GitMirror;

/// <summary>One ref pushed, deleted or refused during a sync or a removal.</summary>
public sealed class MirrorRefUpdate
{
    public required string Ref { get; init; }

    /// <summary>The side that received the push.</summary>
    public MirrorSide Target { get; init; }

    /// <summary>The value the target held before; null when the ref was created.</summary>
    public string? OldSha { get; init; }

    /// <summary>The value the target holds now; null when the ref was deleted (Remove-MirrorRef).</summary>
    public required string? NewSha { get; init; }

    public bool Succeeded { get; init; }

    /// <summary>What happened: the server's message when it refused the update.</summary>
    public string? Message { get; init; }

    public override string ToString() => $"{Ref} -> {Target}: {(Succeeded ? "ok" : Message)}";
}

/// <summary>The outcome of syncing one pair.</summary>
public sealed class MirrorSyncResult
{
    public required MirrorPair Pair { get; init; }

    public string PairName => Pair.Name;

    public MirrorSyncStatus Status { get; init; }

    public MirrorRefUpdate[] Updates { get; init; } = [];

    /// <summary>Full names of the refs that diverged (the pair was halted, or they were skipped).</summary>
    public string[] DivergedRefs { get; init; } = [];

    /// <summary>Why the pair failed, halted (the diverged refs) or was skipped; null when it synced or was up to date.</summary>
    public string? Error { get; init; }

    public TimeSpan Duration { get; init; }

    /// <summary>When the run of this pair started (UTC).</summary>
    public DateTimeOffset StartTime { get; init; }

    /// <summary>
    /// A -WhatIf preview: Status is what the run would end in and Updates are the pushes it would
    /// make (not Succeeded: nothing was pushed).
    /// </summary>
    public bool WhatIf { get; init; }

    public override string ToString() => $"{PairName} {Status}{(WhatIf ? " (what if)" : "")}";
}
