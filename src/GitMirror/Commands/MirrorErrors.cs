using System.Management.Automation;
using GitMirror.Core.Apply;
using GitMirror.Core.Report;
using GitMirror.Core.Transport;

namespace GitMirror.Commands;

/// <summary>The error records GitMirror writes: stable PascalCase ErrorIds, real categories, real targets.</summary>
internal static class MirrorErrors
{
    public static ErrorRecord Diverged(MirrorRefComparison comparison)
    {
        var detail = comparison.Status == MirrorRefStatus.Conflict
            ? ConflictDetail(comparison)
            : comparison.Kind == MirrorRefKind.Tag
            ? $"tag points at {Core.Plan.PlannedPush.Short(comparison.GitHubSha, "nothing")} on GitHub and {Core.Plan.PlannedPush.Short(comparison.GitLabSha, "nothing")} on GitLab; tags never move"
            : comparison.MergeBase is null && comparison.GitHubAheadBy is null
                ? $"GitHub has {Core.Plan.PlannedPush.Short(comparison.GitHubSha, "nothing")}, GitLab has {Core.Plan.PlannedPush.Short(comparison.GitLabSha, "nothing")}"
                : $"GitHub is {comparison.GitHubAheadBy} and GitLab {comparison.GitLabAheadBy} commits beyond {(comparison.MergeBase is null ? "no common commit" : "merge base " + Core.Plan.PlannedPush.Short(comparison.MergeBase, "nothing"))}";
        var action = comparison.Pair.OnDivergence == MirrorDivergencePolicy.HaltPair ? "the pair was halted" : "the ref was skipped";
        var what = comparison.Status == MirrorRefStatus.Conflict ? "conflicts" : "diverged";
        var message = $"Pair '{comparison.PairName}': {comparison.Ref} {what} ({detail}); {action}.";
        // The ref's name is the pusher's choice: every command is built by the one proven quoting.
        var compare = RepairCommands.CompareRef(null, comparison.PairName, comparison.Ref);
        var choices = $"\n  {compare} | Repair-MirrorDivergence -Prefer GitHub\n  {compare} | Repair-MirrorDivergence -Prefer GitLab";
        var recommended = comparison.Status == MirrorRefStatus.Conflict
            ? $"Keep one side's refs (the other side's conflicting refs are backed up, then removed):{choices}\nOr delete one name on its side:\n  Remove-MirrorRef -Name {PowerShellQuoting.SingleQuoted(comparison.PairName)} -Ref {PowerShellQuoting.SingleQuoted(comparison.Ref)}"
            : $"Choose a winner (the loser is backed up):{choices}";
        return new ErrorRecord(
            new InvalidOperationException(message),
            "MirrorRefDiverged", ErrorCategory.InvalidData, comparison)
        {
            ErrorDetails = new ErrorDetails(message) { RecommendedAction = recommended },
        };
    }

    /// <summary>"only on GitHub; GitLab has refs/heads/x/y in its way, and a side cannot hold both names".</summary>
    private static string ConflictDetail(MirrorRefComparison comparison)
    {
        var (here, there) = comparison.GitHubSha is not null ? ("GitHub", "GitLab") : ("GitLab", "GitHub");
        var caseOnly = comparison.ConflictsWith.Any(o => string.Equals(o, comparison.Ref, StringComparison.OrdinalIgnoreCase));
        return $"only on {here}; {there} has {string.Join(", ", comparison.ConflictsWith)} in its way" +
            (caseOnly ? ", a name differing only by case, which case-insensitive servers and clients cannot hold beside it"
                : ", and a ref cannot also be a folder of refs");
    }

    public static ErrorRecord PairFailed(MirrorSyncResult result, Exception? failure)
    {
        var (id, category) = failure is GitTransportException transport ? Classify(transport.Kind) : ("MirrorSyncFailed", ErrorCategory.NotSpecified);
        if (failure is null) (id, category) = ("MirrorPushRejected", ErrorCategory.WriteError);
        var message = $"Pair '{result.PairName}' failed: {result.Error}";
        return new ErrorRecord(failure ?? new InvalidOperationException(message), id, category, result)
        {
            ErrorDetails = new ErrorDetails(message),
        };
    }

    /// <summary>A refused or failed repair or removal; <paramref name="target"/> is the ref (its comparison) or, for a busy pair, the pair.</summary>
    public static ErrorRecord RefChange(RefChangeException failure, object target, string? recommendedAction = null)
    {
        var (id, category) = failure.Failure switch
        {
            RefChangeFailure.NotFound => ("MirrorRefNotFound", ErrorCategory.ObjectNotFound),
            RefChangeFailure.Ambiguous => ("MirrorRefAmbiguous", ErrorCategory.InvalidArgument),
            RefChangeFailure.NotDiverged => ("MirrorRefNotDiverged", ErrorCategory.InvalidOperation),
            RefChangeFailure.Moved => ("MirrorRefMoved", ErrorCategory.InvalidOperation),
            RefChangeFailure.BackupFailed => ("MirrorBackupFailed", ErrorCategory.WriteError),
            RefChangeFailure.Rejected => ("MirrorPushRejected", ErrorCategory.WriteError),
            RefChangeFailure.PairBusy => ("MirrorPairBusy", ErrorCategory.ResourceBusy),
            _ => failure.InnerException is GitTransportException t ? Classify(t.Kind) : ("MirrorRemoteError", ErrorCategory.ProtocolError),
        };
        return new ErrorRecord(failure, id, category, target)
        {
            ErrorDetails = new ErrorDetails(failure.Message) { RecommendedAction = recommendedAction },
        };
    }

    /// <summary>A pair that could not be read or locked at all.</summary>
    public static ErrorRecord PairUnavailable(Exception failure, MirrorPair pair) => failure switch
    {
        RefChangeException change => RefChange(change, pair),
        GitTransportException t => new ErrorRecord(t, Classify(t.Kind).Id, Classify(t.Kind).Category, pair)
        {
            ErrorDetails = new ErrorDetails($"Pair '{pair.Name}': {t.Message}"),
        },
        _ => new ErrorRecord(failure, "MirrorPairFailed", ErrorCategory.NotSpecified, pair)
        {
            ErrorDetails = new ErrorDetails($"Pair '{pair.Name}': {failure.Message}"),
        },
    };

    public static (string Id, ErrorCategory Category) Classify(TransportFailureKind kind) => kind switch
    {
        TransportFailureKind.Authentication => ("MirrorAuthenticationFailed", ErrorCategory.AuthenticationError),
        TransportFailureKind.Permission => ("MirrorPermissionDenied", ErrorCategory.PermissionDenied),
        TransportFailureKind.NotFound => ("MirrorRepositoryNotFound", ErrorCategory.ObjectNotFound),
        TransportFailureKind.RateLimited => ("MirrorRateLimited", ErrorCategory.LimitsExceeded),
        TransportFailureKind.Timeout => ("MirrorRemoteTimeout", ErrorCategory.OperationTimeout),
        TransportFailureKind.Unreachable or TransportFailureKind.BadAddress => ("MirrorRemoteUnreachable", ErrorCategory.ConnectionError),
        TransportFailureKind.Moved => ("MirrorRepositoryMoved", ErrorCategory.InvalidData),
        _ => ("MirrorRemoteError", ErrorCategory.ProtocolError),
    };
}
