namespace GitMirror.Host;

/// <summary>The host's exit codes (design.md §2, §6); the same numbers as GitMirror.MirrorExitCodes, which the host must not reference.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Failed = 2;
    public const int BadUsage = 3;
    public const int Interrupted = 130;

    /// <summary>Where Sync-MirrorPair leaves its run's code (GitMirror.MirrorExitCodes.VariableName).</summary>
    public const string SyncVariableName = "GitMirrorSyncExitCode";
}
