using System.Management.Automation;
using GitMirror.Core.Apply;

namespace GitMirror.Commands;

/// <summary>
/// Deletes a branch or tag on both sides of a pair at once: the sanctioned way to delete, since
/// sync restores a one-sided deletion. Each side's deletion is leased on the value read there.
/// Emits one MirrorRefUpdate (NewSha null) per side the ref was deleted on, or refused on.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "MirrorRef", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = NameSet, HelpUri = HelpUris.Docs + "Remove-MirrorRef.md")]
[OutputType(typeof(MirrorRefUpdate))]
public sealed class RemoveMirrorRefCommand : MirrorCommandBase
{
    private const string NameSet = "Name";
    private const string PairSet = "Pair";
    private readonly List<MirrorPair> _pairs = [];

    /// <summary>The pair's name (no wildcards).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = NameSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(PairNameCompleter))]
    public string? Name { get; set; }

    /// <summary>Pairs from Get-MirrorPair: the ref is removed from each (each asks first).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = PairSet)]
    [ValidateNotNull]
    public MirrorPair[]? Pair { get; set; }

    /// <summary>The branch or tag: full (refs/heads/old) or short (old) name.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(RefNameCompleter))]
    public string? Ref { get; set; }

    /// <summary>Delete without asking (-WhatIf still only describes; an explicit -Confirm still asks).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        if (Pair is not null) _pairs.AddRange(Pair);
    }

    protected override void EndProcessing()
    {
        var pairs = ParameterSetName == PairSet ? _pairs.Distinct().ToList()
            : FindPair(LoadConfig(), Name!) is { } named ? [named]
            : []; // FindPair wrote MirrorPairNotFound
        if (pairs.Count == 0) return;

        var remover = new RefRemover(Log);
        RunPumped(async token =>
        {
            foreach (var pair in pairs) await RemoveAsync(remover, pair, token).ConfigureAwait(false);
        });
    }

    private async Task RemoveAsync(RefRemover remover, MirrorPair pair, CancellationToken token)
    {
        try
        {
            var outcome = await remover.RemoveAsync(pair, Ref!, current => ShouldProcessFromWorker(
                $"pair '{pair.Name}': GitHub ({pair.GitHub}) and GitLab ({pair.GitLab})",
                $"Delete {current.Ref} (GitHub: {Core.Plan.PlannedPush.Short(current.GitHubSha, "absent")}, GitLab: {Core.Plan.PlannedPush.Short(current.GitLabSha, "absent")})",
                Force), token).ConfigureAwait(false);
            OnPipelineThread(() =>
            {
                if (outcome.Error is { } error)
                {
                    WriteError(MirrorErrors.RefChange(error, outcome.Current, error.Failure == RefChangeFailure.Moved
                        ? $"Someone pushed to it meanwhile: check, then remove it again if it should still go:\n  {Core.Report.RepairCommands.CompareRef(null, pair.Name, outcome.Current.Ref)}"
                        : null));
                }
                WriteObject(outcome.Updates, enumerateCollection: true);
            });
        }
        catch (RefChangeException e) when (e.Failure is RefChangeFailure.NotFound or RefChangeFailure.Ambiguous)
        {
            OnPipelineThread(() => WriteError(MirrorErrors.RefChange(e, Ref!)));
        }
        // Only the pair's own failures; anything else (a host that cannot prompt, a bug) stops the command as PowerShell would.
        catch (Exception e) when (e is RefChangeException or Core.Transport.GitTransportException or IOException or UnauthorizedAccessException)
        {
            OnPipelineThread(() => WriteError(MirrorErrors.PairUnavailable(e, pair)));
        }
    }
}
