using System.Runtime.InteropServices;

namespace GitMirror.Core.Transport;

/// <summary>
/// A process holding the bots' tokens should not leave them in a core dump, nor let other
/// processes of the same user read its memory through ptrace or /proc/PID/mem. On Linux,
/// PR_SET_DUMPABLE 0 does both; it is set the first time GitMirror reads a token and stays set for
/// the life of the process (the token may stay in memory until then). Elsewhere it does nothing:
/// the README tells operators to disable core dumps there.
/// </summary>
public static class ProcessHardening
{
    private const int PrSetDumpable = 4;
    private const int PrGetDumpable = 3;
    private static int _done;

    /// <summary>Marks the process non-dumpable (Linux); idempotent and cheap after the first call.</summary>
    public static void ProtectSecrets()
    {
        if (!OperatingSystem.IsLinux() || Interlocked.Exchange(ref _done, 1) == 1) return;
        // A failure changes nothing for GitMirror's work: the README's advice still holds.
        _ = prctl(PrSetDumpable, 0, 0, 0, 0);
    }

    /// <summary>Whether the process may be dumped (Linux's PR_GET_DUMPABLE); null where unknown.</summary>
    public static bool? IsDumpable => OperatingSystem.IsLinux() ? prctl(PrGetDumpable, 0, 0, 0, 0) != 0 : null;

    [DllImport("libc", SetLastError = true)]
    private static extern int prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);
}
