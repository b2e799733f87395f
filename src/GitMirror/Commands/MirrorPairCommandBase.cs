using System.Management.Automation;

namespace GitMirror.Commands;

/// <summary>
/// Cmdlets that work on pairs: whole MirrorPair objects from the pipeline (-Pair) or pair names
/// (-Name, never bound from the pipeline by property name), run N pairs at a time with progress.
/// </summary>
public abstract class MirrorPairCommandBase : MirrorCommandBase
{
    protected const string PairSet = "Pair";
    protected const string NameSet = "Name";

    private readonly List<MirrorPair> _pipedPairs = [];

    /// <summary>Pairs from Get-MirrorPair, bound from the pipeline.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = PairSet)]
    [ValidateNotNull]
    public MirrorPair[]? Pair { get; set; }

    /// <summary>How many pairs to work on at once.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = 4;

    protected override void ProcessRecord()
    {
        if (Pair is not null) _pipedPairs.AddRange(Pair);
    }

    /// <summary>The pairs this invocation works on: piped ones, or those of the config matching <paramref name="names"/> (all when null).</summary>
    protected IReadOnlyList<MirrorPair> ResolvePairs(string[]? names)
    {
        if (ParameterSetName == PairSet) return _pipedPairs.Distinct().ToList();
        return SelectPairs(LoadConfig(), names);
    }

    /// <summary>
    /// Runs <paramref name="body"/> for every pair, ThrottleLimit at a time, on worker threads,
    /// reporting progress as pairs finish. The action each body returns (the pair's output) runs on
    /// the pipeline thread in the order of <paramref name="pairs"/> (config order), as soon as the
    /// pairs before it are done; messages posted with OnPipelineThread stream meanwhile.
    /// </summary>
    protected void ForEachPair(IReadOnlyList<MirrorPair> pairs, string activity, Func<MirrorPair, CancellationToken, Task<Action>> body)
    {
        if (pairs.Count == 0) return;
        var outputs = new Action?[pairs.Count];
        var nextOutput = 0; // touched on the pipeline thread only
        var done = 0;
        var progress = new ProgressRecord(ActivityId, activity, $"0 of {pairs.Count} pairs") { PercentComplete = 0 };
        WriteProgress(progress);
        try
        {
            RunPumped(async token =>
            {
                var options = new ParallelOptions { MaxDegreeOfParallelism = ThrottleLimit, CancellationToken = token };
                await Parallel.ForEachAsync(pairs.Select((pair, index) => (pair, index)), options, async (item, ct) =>
                {
                    var (pair, index) = item;
                    var output = await body(pair, ct).ConfigureAwait(false);
                    var finished = Interlocked.Increment(ref done);
                    OnPipelineThread(() =>
                    {
                        outputs[index] = output;
                        while (nextOutput < outputs.Length && outputs[nextOutput] is { } ready)
                        {
                            outputs[nextOutput++] = null;
                            ready();
                        }
                        progress.StatusDescription = $"{finished} of {pairs.Count} pairs (last: {pair.Name})";
                        progress.PercentComplete = finished * 100 / pairs.Count;
                        WriteProgress(progress);
                    });
                }).ConfigureAwait(false);
            });
        }
        finally
        {
            progress.RecordType = ProgressRecordType.Completed;
            progress.PercentComplete = 100;
            WriteProgress(progress);
        }
    }

    private int ActivityId => GetType().Name.GetHashCode() & 0x7fff;
}
