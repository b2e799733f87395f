using GitMirror.Core.Report;

namespace GitMirror.Core.Organizations;

/// <summary>What the engine and the cmdlets say about organisation pairs.</summary>
public static class OrganizationPairs
{
    /// <summary>Why a pair whose repository exists on one side only is skipped, and the command that creates the twin.</summary>
    public static string NoTwinReason(MirrorPair pair, MirrorSide missing) =>
        $"no twin on {missing}: run Initialize-MirrorBootstrap to create {missing} {pair.PathOf(missing)} "
        + $"(Initialize-MirrorBootstrap -Path {PowerShellQuoting.SingleQuoted(pair.ConfigPath)} -Name {PowerShellQuoting.SingleQuoted(pair.Name)})";
}
