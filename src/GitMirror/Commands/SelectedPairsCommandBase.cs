using System.Management.Automation;

namespace GitMirror.Commands;

/// <summary>
/// Cmdlets that change remotes must be told which pairs: -Pair from the pipeline, -Name, or -All.
/// (Compare-MirrorRef, which changes nothing, defaults to every pair instead.)
/// </summary>
public abstract class SelectedPairsCommandBase : MirrorPairCommandBase
{
    protected const string AllSet = "All";

    /// <summary>Pair names; wildcards allowed. Never bound from the pipeline.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = NameSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(PairNameCompleter))]
    public string[]? Name { get; set; }

    /// <summary>Every pair of the config.</summary>
    [Parameter(Mandatory = true, ParameterSetName = AllSet)]
    public SwitchParameter All { get; set; }

    /// <summary>The pairs chosen by -Pair, -Name or -All.</summary>
    protected IReadOnlyList<MirrorPair> SelectedPairs() => ResolvePairs(ParameterSetName == AllSet ? null : Name);
}
