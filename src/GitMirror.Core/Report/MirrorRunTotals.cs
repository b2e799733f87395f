namespace GitMirror.Core.Report;

/// <summary>
/// What one Sync-MirrorPair invocation did as a whole, for the run-level metrics. A service has no
/// run: its Duration is null and it reports its uptime instead.
/// </summary>
public sealed record MirrorRunTotals(int RefsPushed, TimeSpan? Duration)
{
    /// <summary>Counts the ref updates that succeeded.</summary>
    public static MirrorRunTotals From(IEnumerable<MirrorSyncResult> results, TimeSpan duration) =>
        new(results.Sum(r => r.Updates.Count(u => u.Succeeded)), duration);
}
