using System.Management.Automation;
using GitMirror.Core.Report;

namespace GitMirror.Commands;

/// <summary>
/// The last recorded sync of each pair, from the cache directory: the operator's dashboard
/// (Get-MirrorStatus | Where-Object -not Healthy). Reads only local files.
/// </summary>
[Cmdlet(VerbsCommon.Get, "MirrorStatus", DefaultParameterSetName = NameSet, HelpUri = HelpUris.Docs + "Get-MirrorStatus.md")]
[OutputType(typeof(MirrorPairStatus))]
public sealed class GetMirrorStatusCommand : MirrorCommandBase
{
    private const string NameSet = "Name";
    private const string PairSet = "Pair";
    private readonly List<MirrorPair> _pairs = [];

    /// <summary>Pairs from Get-MirrorPair.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = PairSet)]
    [ValidateNotNull]
    public MirrorPair[]? Pair { get; set; }

    /// <summary>Pair names; wildcards allowed. Default: every pair.</summary>
    [Parameter(Position = 0, ParameterSetName = NameSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(PairNameCompleter))]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        if (Pair is not null) _pairs.AddRange(Pair);
    }

    protected override void EndProcessing()
    {
        var pairs = ParameterSetName == PairSet ? _pairs.Distinct().ToList() : SelectPairs(LoadConfig(), Name);
        var stores = new Dictionary<string, StatusStore>(StringComparer.Ordinal);
        foreach (var pair in pairs) // in the order given (config order)
        {
            if (!stores.TryGetValue(pair.CachePath, out var store)) stores[pair.CachePath] = store = new StatusStore(pair.CachePath, Log);
            WriteObject(store.Read(pair));
        }
        WarnAboutCredentials(stores.Keys);
    }

    /// <summary>A trailing warning per credential that the last check found refused, or expiring soon (the check itself is Get-MirrorCredential's, or the service's).</summary>
    private void WarnAboutCredentials(IEnumerable<string> cachePaths)
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var cachePath in cachePaths)
        {
            foreach (var (credential, probedAt) in new CredentialStatus(cachePath, Log).Read(now))
            {
                if (CredentialStatus.NeedsAttention(credential) is { } problem)
                {
                    WriteWarning($"{credential.Forge} credential: {problem} (checked {probedAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC; Get-MirrorCredential checks again).");
                }
            }
        }
    }
}
