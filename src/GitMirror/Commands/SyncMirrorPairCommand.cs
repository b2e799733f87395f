using System.Collections.Concurrent;
using System.Management.Automation;
using GitMirror.Core.Engine;

namespace GitMirror.Commands;

/// <summary>
/// Mirrors every branch and tag of the selected pairs both ways, fast-forward only. Emits one
/// MirrorSyncResult per pair and leaves the run's exit code (design.md §6) in $GitMirrorSyncExitCode.
/// </summary>
[Cmdlet(VerbsData.Sync, "MirrorPair", SupportsShouldProcess = true, DefaultParameterSetName = NameSet)]
[OutputType(typeof(MirrorSyncResult))]
public sealed class SyncMirrorPairCommand : MirrorPairCommandBase
{
    private const string AllSet = "All";

    /// <summary>Pair names to sync; wildcards allowed.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = NameSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    /// <summary>Sync every pair of the config.</summary>
    [Parameter(Mandatory = true, ParameterSetName = AllSet)]
    public SwitchParameter All { get; set; }

    protected override void OnConfigInvalid() => SetExitCode(MirrorExitCodes.BadUsage);

    protected override void EndProcessing()
    {
        var pairs = ResolvePairs(ParameterSetName == AllSet ? null : Name);
        var engine = new MirrorEngine(Log);
        var results = new ConcurrentBag<MirrorSyncResult>();

        ForEachPair(pairs, "Syncing mirror pairs", async (pair, token) =>
        {
            WriteVerboseFromWorker($"[{pair.Name}] Syncing {pair.GitHubUrl} <-> {pair.GitLabUrl}");
            var outcome = await engine.SyncAsync(pair, push => ShouldProcessFromWorker(
                $"{push.Target} ({pair.PathOf(push.Target)})",
                $"Push {push.Ref} {(push.OldSha is null ? "(new)" : Short(push.OldSha))} -> {Short(push.NewSha)}"), token).ConfigureAwait(false);
            OnPipelineThread(() => Report(outcome, results));
        });

        SetExitCode(MirrorExitCodes.For(results));
    }

    private void Report(SyncOutcome outcome, ConcurrentBag<MirrorSyncResult> results)
    {
        var result = outcome.Result;
        foreach (var diverged in outcome.Plan?.Diverged ?? [])
        {
            WriteError(MirrorErrors.Diverged(diverged));
        }
        if (result.Status == MirrorSyncStatus.Failed)
        {
            WriteError(MirrorErrors.PairFailed(result, outcome.Failure));
        }
        // Under -WhatIf nothing happened: the What-if lines are the output, not a result.
        if (outcome.Declined.Count > 0 && result.Updates.Length == 0 && result.Status != MirrorSyncStatus.Failed) return;
        results.Add(result);
        WriteObject(result);
    }

    private void WriteVerboseFromWorker(string message) => Log.Verbose(message);

    private void SetExitCode(int code) =>
        SessionState.PSVariable.Set("global:" + MirrorExitCodes.VariableName, code);

    private static string Short(string sha) => sha.Length > 10 ? sha[..10] : sha;
}
