namespace GitMirror;

/// <summary>The outcome of repairing one diverged ref.</summary>
public sealed class MirrorRepairResult
{
    public required string PairName { get; init; }

    public required string Ref { get; init; }

    /// <summary>The side whose object now stands on both sides.</summary>
    public MirrorSide Winner { get; init; }

    /// <summary>The losing side's object before the repair (kept at BackupRef).</summary>
    public string? OldSha { get; init; }

    public string? NewSha { get; init; }

    /// <summary>Where the losing object was kept, on the losing side.</summary>
    public string? BackupRef { get; init; }

    public bool Succeeded { get; init; }

    public string? Message { get; init; }

    public override string ToString() => $"{PairName} {Ref} {(Succeeded ? "repaired" : "not repaired")}";
}
