using GitMirror.Core.Forges;

namespace GitMirror.Core.Bootstrap;

/// <summary>Why bootstrapping a pair failed; each maps to a stable ErrorId.</summary>
public enum MirrorBootstrapFailure
{
    /// <summary>The token's environment variable is unset or empty.</summary>
    TokenMissing,
    /// <summary>A classic token lacks a scope bootstrap or mirroring needs.</summary>
    TokenScopeMissing,
    /// <summary>A forge refused or failed a call (see <see cref="MirrorBootstrapException.ForgeFailure"/>).</summary>
    ForgeApi,
    /// <summary>Something is not there that bootstrap does not create (a GitLab group, a GitHub owner).</summary>
    OwnerNotFound,
    /// <summary>Installing the CI files failed.</summary>
    CiFiles,
}

/// <summary>A pair's bootstrap failure. The message names the side, the step and the cause, never a token.</summary>
public sealed class MirrorBootstrapException(MirrorBootstrapFailure failure, MirrorSide side, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public MirrorBootstrapFailure Failure { get; } = failure;

    public MirrorSide Side { get; } = side;

    /// <summary>The forge's failure kind when a forge call failed.</summary>
    public ForgeFailureKind? ForgeFailure => (InnerException as ForgeApiException)?.Kind;

    /// <summary>The stable PowerShell ErrorId for this failure.</summary>
    public string ErrorId => Failure switch
    {
        MirrorBootstrapFailure.TokenMissing => "MirrorTokenMissing",
        MirrorBootstrapFailure.TokenScopeMissing => "MirrorTokenScopeMissing",
        MirrorBootstrapFailure.OwnerNotFound => "MirrorOwnerNotFound",
        _ => "MirrorBootstrapFailed",
    };
}

/// <summary>The result object for the pipeline, and the failure behind a Failed step (null when it succeeded).</summary>
public sealed record MirrorBootstrapOutcome(MirrorBootstrapResult Result, MirrorBootstrapException? Failure);
