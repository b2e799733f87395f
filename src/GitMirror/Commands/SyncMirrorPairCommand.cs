using System.Collections.Concurrent;
using System.Management.Automation;
using GitMirror.Core.Engine;
using GitMirror.Core.Report;
using GitMirror.Core.Unattended;

namespace GitMirror.Commands;

/// <summary>
/// Mirrors every branch and tag of the selected pairs both ways, fast-forward only. Emits one
/// MirrorSyncResult per pair, in config order, and leaves the run's exit code (design.md §6) in
/// $GitMirrorSyncExitCode for scripts and the gitmirror host.
/// </summary>
[Cmdlet(VerbsData.Sync, "MirrorPair", SupportsShouldProcess = true, DefaultParameterSetName = NameSet, HelpUri = HelpUris.Docs + "Sync-MirrorPair.md")]
[OutputType(typeof(MirrorSyncResult))]
public sealed class SyncMirrorPairCommand : SelectedPairsCommandBase
{
    /// <summary>Only this shard of the selected pairs: "i/n", 1 ≤ i ≤ n (stable across machines).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Shard { get; set; }

    /// <summary>Seconds to wait for another run's lock on a pair before reporting it Skipped.</summary>
    [Parameter]
    [ValidateRange(0, 86400)]
    public int LockTimeoutSec { get; set; }

    /// <summary>Append JSON lines (one per ref update and per pair) to this file.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? LogPath { get; set; }

    /// <summary>Write Prometheus text metrics (node_exporter textfile collector) to this file.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? MetricsPath { get; set; }

    protected override void OnConfigInvalid() => SetExitCode(MirrorExitCodes.BadUsage);

    protected override void EndProcessing()
    {
        var shard = ParseShard();
        var selected = SelectedPairs();
        var config = ParameterSetName == PairSet ? null : LoadConfig();
        if (shard is not null)
        {
            selected = shard.Select(selected).ToList();
            WriteVerbose($"Shard {shard.Index}/{shard.Count}: {selected.Count} pairs");
        }

        var options = new SyncRunOptions
        {
            LockTimeout = TimeSpan.FromSeconds(LockTimeoutSec),
            LogPath = LogPath is null ? null : ResolveFileSystemPath(LogPath, nameof(LogPath)),
            MetricsPath = MetricsPath is null ? null : ResolveFileSystemPath(MetricsPath, nameof(MetricsPath)),
            DryRun = IsWhatIf,
            Notify = (config ?? NotifyConfigOf(selected))?.Notify,
        };
        // Before anything runs: a log or metrics file that cannot be written would otherwise fail after the pushes.
        CheckWritable(options.LogPath, nameof(LogPath));
        CheckWritable(options.MetricsPath, nameof(MetricsPath));
        var run = new SyncRun(config?.Pairs ?? selected, options, Log);
        WriteVerbose($"Run {run.RunId}: {selected.Count} pairs, {ThrottleLimit} at a time");

        var results = new ConcurrentBag<MirrorSyncResult>();
        var crashed = false;
        try
        {
            ForEachPair(selected, "Syncing mirror pairs", async (pair, token) =>
            {
                Log.Verbose($"[{pair.Name}] Syncing {pair.GitHubUrl} <-> {pair.GitLabUrl}");
                var outcome = await run.SyncAsync(pair, push => ShouldProcessFromWorker(
                    $"{push.Target} ({pair.PathOf(push.Target)})",
                    $"Push {push.Ref} {(push.OldSha is null ? "(new)" : Core.Plan.PlannedPush.Short(push.OldSha))} -> {Core.Plan.PlannedPush.Short(push.NewSha!)}"), token).ConfigureAwait(false);
                results.Add(outcome.Result);
                return () => Report(outcome);
            });
        }
        catch (Exception e) when (e is not (PipelineStoppedException or ActionPreferenceStopException or FlowControlException))
        {
            crashed = true; // not a stop (Ctrl+C, Select-Object -First, -ErrorAction Stop): a bug or the machine
            throw;
        }
        finally
        {
            // A run that ended on an unexpected exception never reads as clean.
            SetExitCode(Stopping ? MirrorExitCodes.Interrupted
                : crashed ? Math.Max(MirrorExitCodes.Failed, RunExitCode(results))
                : RunExitCode(results));
        }
        try
        {
            run.Complete(results);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            SetExitCode(Math.Max(MirrorExitCodes.Failed, RunExitCode(results)));
            WriteError(new ErrorRecord(e, "MirrorMetricsWriteFailed", ErrorCategory.WriteError, options.MetricsPath)
            {
                ErrorDetails = new ErrorDetails($"The metrics could not be written to {options.MetricsPath}: {e.Message}"),
            });
        }
    }

    /// <summary>
    /// Pairs piped in from Get-MirrorPair: their config file's notification settings, when they all
    /// come from one file that still reads; otherwise no notifications (said in the verbose stream).
    /// </summary>
    private Core.Config.MirrorConfig? NotifyConfigOf(IReadOnlyList<MirrorPair> pairs)
    {
        var files = pairs.Select(p => p.ConfigPath).Distinct(StringComparer.Ordinal).ToList();
        if (files.Count != 1) return null;
        try
        {
            return Core.Config.ConfigLoader.Load(files[0]);
        }
        catch (Core.Config.MirrorConfigException e)
        {
            WriteVerbose($"No notifications: {e.Message}");
            return null;
        }
    }

    /// <summary>Stops the command (exit code 3) when <paramref name="path"/> cannot be written; nothing is created.</summary>
    private void CheckWritable(string? path, string parameterName)
    {
        if (path is null) return;
        if (OutputFile.Problem(path) is not { } problem) return;
        SetExitCode(MirrorExitCodes.BadUsage);
        var message = $"-{parameterName} '{path}': {problem}.";
        ThrowTerminatingError(new ErrorRecord(new ArgumentException(message, parameterName), "MirrorPathInvalid", ErrorCategory.InvalidArgument, path)
        {
            ErrorDetails = new ErrorDetails(message) { RecommendedAction = "Create the directory or fix its permissions, or give another path." },
        });
    }

    private void Report(SyncOutcome outcome)
    {
        var result = outcome.Result;
        foreach (var diverged in outcome.Plan?.Diverged ?? [])
        {
            WriteError(MirrorErrors.Diverged(diverged));
        }
        if (result.Status == MirrorSyncStatus.Failed && !outcome.ErrorAlreadyReported)
        {
            WriteError(outcome.CircuitOpen
                ? new ErrorRecord(outcome.Failure, "MirrorAuthCircuitOpen", ErrorCategory.AuthenticationError, result) { ErrorDetails = new ErrorDetails(result.Error) }
                : MirrorErrors.PairFailed(result, outcome.Failure));
        }
        if (outcome.Warning is not null) WriteWarning(outcome.Warning);

        // Under -WhatIf too: the preview (WhatIf set, the pushes it would make) can be filtered.
        WriteObject(result);
    }

    private ShardSelector? ParseShard()
    {
        if (Shard is null) return null;
        try
        {
            return ShardSelector.Parse(Shard);
        }
        catch (FormatException e)
        {
            SetExitCode(MirrorExitCodes.BadUsage);
            ThrowTerminatingError(new ErrorRecord(new ArgumentException(e.Message, nameof(Shard), e), "MirrorShardInvalid", ErrorCategory.InvalidArgument, Shard));
            return null;
        }
    }

    /// <summary>
    /// The §6 code of the pairs that ran; a pair name that matches nothing is a usage error (3)
    /// unless a pair that did run diverged or failed, so a typo in a scheduled run never exits 0.
    /// </summary>
    private int RunExitCode(IEnumerable<MirrorSyncResult> results)
    {
        var code = MirrorExitCodes.For(results);
        // An organisation that could not be listed had pairs that did not run: never a clean exit.
        if (OrganizationListingFailed) code = Math.Max(code, MirrorExitCodes.Failed);
        return PairNotFound && code == MirrorExitCodes.Success ? MirrorExitCodes.BadUsage : code;
    }

    private void SetExitCode(int code) =>
        SessionState.PSVariable.Set("global:" + MirrorExitCodes.VariableName, code);
}
