namespace GitMirror.Core.Apply;

/// <summary>Why a person's change to a ref (repair, removal) was refused or failed. The cmdlets map each to an ErrorId.</summary>
public enum RefChangeFailure
{
    /// <summary>The ref is on neither side.</summary>
    NotFound,

    /// <summary>A short name matches both a branch and a tag.</summary>
    Ambiguous,

    /// <summary>Repair was asked for a ref that is not diverged.</summary>
    NotDiverged,

    /// <summary>The ref moved since it was compared or read: nothing was changed.</summary>
    Moved,

    /// <summary>The backup push of a repair failed: nothing was overwritten.</summary>
    BackupFailed,

    /// <summary>The server refused the update or deletion (protected ref, hook, rule).</summary>
    Rejected,

    /// <summary>Another run holds the pair's lock.</summary>
    PairBusy,

    /// <summary>The remote could not be reached, refused the token, timed out…: the inner exception is a GitTransportException.</summary>
    Transport,
}

/// <summary>A refused or failed change of one ref (or of a whole pair, for <see cref="RefChangeFailure.PairBusy"/>).</summary>
public sealed class RefChangeException(RefChangeFailure failure, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public RefChangeFailure Failure { get; } = failure;
}
