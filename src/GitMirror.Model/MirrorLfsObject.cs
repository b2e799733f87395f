namespace GitMirror;

/// <summary>A Git LFS object that a ref's files point to and that one side does not hold.</summary>
public sealed class MirrorLfsObject
{
    /// <summary>The object's SHA-256 (64 hex digits), as its pointer file names it.</summary>
    public required string Oid { get; init; }

    /// <summary>Size in bytes, as the pointer file states it.</summary>
    public long Size { get; init; }

    /// <summary>A path of a pointer file that names the object (one of them, when several do).</summary>
    public string? Path { get; init; }

    /// <summary>The side that lacks the object.</summary>
    public MirrorSide MissingOn { get; init; }

    public override string ToString() => $"{Path ?? Oid} missing on {MissingOn}";
}
