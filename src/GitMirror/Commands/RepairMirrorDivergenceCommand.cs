using System.Management.Automation;
using GitMirror.Core.Apply;

namespace GitMirror.Commands;

/// <summary>
/// Makes the chosen side win for diverged refs: backs the loser's object up on the losing side,
/// then replaces the loser's ref, leased on the backed-up value. Refs come from Compare-MirrorRef
/// (refused when they moved since) or by -Name/-Ref (compared fresh). Emits one MirrorRepairResult
/// per ref a repair was attempted for; refusals are non-terminating errors.
/// </summary>
[Cmdlet(VerbsDiagnostic.Repair, "MirrorDivergence", DefaultParameterSetName = InputSet,
    SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, HelpUri = HelpUris.Docs + "Repair-MirrorDivergence.md")]
[OutputType(typeof(MirrorRepairResult))]
public sealed class RepairMirrorDivergenceCommand : MirrorCommandBase
{
    private const string InputSet = "InputObject";
    private const string NameSet = "ByName";
    private const string PairSet = "Pair";
    private readonly List<MirrorRefComparison> _input = [];
    private readonly List<MirrorPair> _pairs = [];

    /// <summary>Diverged refs from Compare-MirrorRef (usually filtered with Where-Object Diverged).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputSet)]
    [ValidateNotNull]
    public MirrorRefComparison[]? InputObject { get; set; }

    /// <summary>The pair's name (no wildcards); never bound from the pipeline.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = NameSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(PairNameCompleter))]
    public string? Name { get; set; }

    /// <summary>Pairs from Get-MirrorPair, with -Ref naming the ref to repair in each.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = PairSet)]
    [ValidateNotNull]
    public MirrorPair[]? Pair { get; set; }

    /// <summary>The branch or tag: full (refs/heads/main) or short (main) name.</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = NameSet)]
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = PairSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(RefNameCompleter))]
    public string? Ref { get; set; }

    /// <summary>The side whose object wins.</summary>
    [Parameter(Mandatory = true)]
    public MirrorSide Prefer { get; set; }

    /// <summary>Repair without asking (-WhatIf still only describes; an explicit -Confirm still asks).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        if (InputObject is not null) _input.AddRange(InputObject);
        if (Pair is not null) _pairs.AddRange(Pair);
    }

    protected override void EndProcessing()
    {
        var work = new List<(MirrorPair Pair, List<RepairRequest> Requests)>();
        if (ParameterSetName == NameSet)
        {
            var pair = FindPair(LoadConfig(), Name!);
            if (pair is null) return; // FindPair wrote MirrorPairNotFound
            work.Add((pair, [new RepairRequest(Ref!)]));
        }
        else if (ParameterSetName == PairSet)
        {
            work.AddRange(_pairs.Distinct().Select(pair => (pair, new List<RepairRequest> { new(Ref!) })));
        }
        else
        {
            // One lock and one fresh comparison per pair, however many of its refs were piped.
            work.AddRange(_input.GroupBy(c => (c.Pair.ConfigPath, c.PairName))
                .Select(g => (g.First().Pair, g.Select(RepairRequest.From).ToList())));
        }
        if (work.Count == 0) return;

        var repairer = new DivergenceRepairer(Log);
        RunPumped(async token =>
        {
            foreach (var (pair, requests) in work)
            {
                try
                {
                    var outcomes = await repairer.RepairAsync(pair, requests, Prefer, step => ShouldProcessFromWorker(
                        $"{step.Loser} ({pair.PathOf(step.Loser)}) of pair '{pair.Name}'",
                        step.Conflict is { } conflict
                            ? $"Resolve the conflict of {step.Comparison.Ref} in {step.Winner}'s favour: {conflict}"
                            : $"Replace {step.Comparison.Ref} {Core.Plan.PlannedPush.Short(step.OldSha!)} with {step.Winner}'s {Core.Plan.PlannedPush.Short(step.NewSha!)}, after backing up {Core.Plan.PlannedPush.Short(step.OldSha!)} to {step.BackupRef}",
                        Force), token).ConfigureAwait(false);
                    OnPipelineThread(() => Report(pair, outcomes));
                }
                // Only the pair's own failures; anything else (a host that cannot prompt, a bug) stops the command as PowerShell would.
                catch (Exception e) when (e is RefChangeException or Core.Transport.GitTransportException or IOException or UnauthorizedAccessException)
                {
                    OnPipelineThread(() => WriteError(MirrorErrors.PairUnavailable(e, pair)));
                }
            }
        });
    }

    private void Report(MirrorPair pair, IReadOnlyList<RepairOutcome> outcomes)
    {
        foreach (var outcome in outcomes)
        {
            if (outcome.Error is { } error)
            {
                var refName = outcome.Current?.Ref ?? outcome.Request.Ref;
                var again = Core.Report.RepairCommands.CompareRef(null, pair.Name, refName) + $" | Where-Object Diverged | Repair-MirrorDivergence -Prefer {Prefer}";
                var recommended = error.Failure switch
                {
                    RefChangeFailure.Moved => $"Compare again, then repair from what both sides hold now:\n  {again}",
                    RefChangeFailure.NotDiverged => "Only diverged refs are repaired; Sync-MirrorPair fast-forwards the others. Pipe through Where-Object Diverged.",
                    RefChangeFailure.BackupFailed => "Nothing was overwritten. Fix the cause (a protected refs/*/gitmirror/backup/* pattern, a hook) and run the repair again.",
                    RefChangeFailure.Rejected => "Unprotect the ref on the losing side (or let the bot push to it), then compare and repair again.",
                    _ => null,
                };
                // The target is the ref as the caller gave it: the piped comparison, else the fresh one, else the name.
                WriteError(MirrorErrors.RefChange(error, (object?)outcome.Request.Seen ?? (object?)outcome.Current ?? outcome.Request.Ref, recommended));
            }
            foreach (var result in outcome.Results) WriteObject(result);
        }
    }
}
