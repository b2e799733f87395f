using System.Management.Automation;

namespace GitMirror.Commands;

/// <summary>Reads repos.yaml and emits one MirrorPair per configured pair.</summary>
[Cmdlet(VerbsCommon.Get, "MirrorPair", HelpUri = HelpUris.Docs + "Get-MirrorPair.md")]
[OutputType(typeof(MirrorPair))]
public sealed class GetMirrorPairCommand : MirrorCommandBase
{
    /// <summary>Pair names to emit; wildcards allowed. Default: every pair.</summary>
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(PairNameCompleter))]
    public string[]? Name { get; set; }

    protected override void EndProcessing()
    {
        var config = LoadConfig();
        foreach (var pair in SelectPairs(config, Name))
        {
            WriteObject(pair);
        }
    }
}
