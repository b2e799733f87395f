using System.Management.Automation;
using GitMirror.Core.Report;

namespace GitMirror.Commands;

/// <summary>
/// The last recorded sync of each pair, from the cache directory: the operator's dashboard
/// (Get-MirrorStatus | Where-Object -not Healthy). Reads only local files.
/// </summary>
[Cmdlet(VerbsCommon.Get, "MirrorStatus")]
[OutputType(typeof(MirrorPairStatus))]
public sealed class GetMirrorStatusCommand : MirrorCommandBase
{
    /// <summary>Pair names; wildcards allowed. Default: every pair.</summary>
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(PairNameCompleter))]
    public string[]? Name { get; set; }

    protected override void EndProcessing()
    {
        var config = LoadConfig();
        foreach (var group in SelectPairs(config, Name).GroupBy(p => p.CachePath))
        {
            var store = new StatusStore(group.Key, Log);
            WriteObject(store.ReadAll(group.Select(p => p.Name)), enumerateCollection: true);
        }
    }
}
