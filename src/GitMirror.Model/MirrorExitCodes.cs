namespace GitMirror;

/// <summary>The exit codes of the gitmirror host and the scheduled-run script.</summary>
public static class MirrorExitCodes
{
    public const int Success = 0;
    public const int Diverged = 1;
    public const int Failed = 2;
    public const int BadUsage = 3;
    public const int Interrupted = 130;

    /// <summary>Name of the global variable Sync-MirrorPair leaves its run's exit code in.</summary>
    public const string VariableName = "GitMirrorSyncExitCode";

    /// <summary>0 all fine; 1 some pair has diverged refs and none failed; 2 some pair failed.</summary>
    public static int For(IEnumerable<MirrorSyncResult> results)
    {
        var code = Success;
        foreach (var result in results)
        {
            if (result.Status == MirrorSyncStatus.Failed) return Failed;
            if (result.Status == MirrorSyncStatus.Halted || result.DivergedRefs.Length > 0) code = Diverged;
        }
        return code;
    }
}
