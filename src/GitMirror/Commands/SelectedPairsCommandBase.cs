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
    // Not mandatory: PowerShell would prompt for "Name[0]", which a scheduled run cannot answer;
    // SelectedPairs says what to give instead.
    [Parameter(Position = 0, ParameterSetName = NameSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(PairNameCompleter))]
    public string[]? Name { get; set; }

    /// <summary>Every pair of the config.</summary>
    [Parameter(Mandatory = true, ParameterSetName = AllSet)]
    public SwitchParameter All { get; set; }

    /// <summary>The pairs chosen by -Pair, -Name or -All; without any of them, a terminating MirrorPairSelectionMissing error.</summary>
    protected IReadOnlyList<MirrorPair> SelectedPairs()
    {
        if (ParameterSetName == NameSet && Name is null)
        {
            OnConfigInvalid();
            var verb = MyInvocation.MyCommand.Name;
            var message = $"{verb} changes both forges, so it needs to be told which pairs: -All for every pair of the configuration, -Name <pair> (wildcards allowed), or pairs piped from Get-MirrorPair.";
            ThrowTerminatingError(new ErrorRecord(new ArgumentException(message, nameof(Name)), "MirrorPairSelectionMissing", ErrorCategory.InvalidArgument, null)
            {
                ErrorDetails = new ErrorDetails(message) { RecommendedAction = $"{verb} -All, or {verb} -Name 'owner/repo'." },
            });
        }
        return ResolvePairs(ParameterSetName == AllSet ? null : Name);
    }
}
