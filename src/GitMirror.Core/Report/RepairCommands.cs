using static GitMirror.Core.Report.PowerShellQuoting;

namespace GitMirror.Core.Report;

/// <summary>
/// The commands GitMirror suggests to settle a diverged ref, for the status page, error records,
/// notifications and issues: one builder, so every one of them quotes the same proven way.
/// </summary>
public static class RepairCommands
{
    /// <summary><c>Repair-MirrorDivergence [-Path '…'] -Name '…' -Ref '…' -Prefer GitHub</c>.</summary>
    public static string Repair(string? configPath, string pairName, string fullRef, MirrorSide prefer) =>
        "Repair-MirrorDivergence" + PathArgument(configPath) + $" -Name {SingleQuoted(pairName)} -Ref {SingleQuoted(fullRef)} -Prefer {prefer}";

    /// <summary>The pipeline that lists a pair's diverged refs: <c>Compare-MirrorRef [-Path '…'] -Name '…' | Where-Object Diverged</c>.</summary>
    public static string ListDiverged(string? configPath, string pairName) =>
        "Compare-MirrorRef" + PathArgument(configPath) + $" -Name {SingleQuoted(pairName)} | Where-Object Diverged";

    /// <summary><c>Compare-MirrorRef [-Path '…'] -Name '…' -Ref '…'</c>: one ref's comparison, ready to pipe into Repair.</summary>
    public static string CompareRef(string? configPath, string pairName, string fullRef) =>
        "Compare-MirrorRef" + PathArgument(configPath) + $" -Name {SingleQuoted(pairName)} -Ref {SingleQuoted(fullRef)}";

    private static string PathArgument(string? configPath) =>
        string.IsNullOrEmpty(configPath) ? "" : " -Path " + SingleQuoted(configPath);
}
