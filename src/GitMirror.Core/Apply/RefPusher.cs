using GitMirror.Core.Observe;
using GitMirror.Core.Plan;
using LibGit2Sharp;

namespace GitMirror.Core.Apply;

/// <summary>
/// Apply: pushes planned updates to one side as explicit refspecs, each with a lease: if the
/// target's ref no longer holds the value the plan was made from, nothing is pushed to that side
/// (the negotiation callback sees the remote's current value; the server checks the old value too).
/// Sync pushes are plain (fast-forward only); a repair's forced update and a removal's deletion go
/// through the same lease, so no caller can overwrite or delete something it has not seen.
/// </summary>
public sealed class RefPusher(IMirrorLog log)
{
    /// <summary>The updates, and the transport failure that made the whole push fail, if one did.</summary>
    /// <param name="LeaseBroken">Set when a ref had moved on the target, so nothing was pushed.</param>
    public sealed record Report(IReadOnlyList<MirrorRefUpdate> Updates, Transport.GitTransportException? Failure, string? LeaseBroken = null);

    public Report Push(MirrorCache cache, RemoteEndpoint target, IReadOnlyList<PlannedPush> pushes, CancellationToken cancellationToken)
    {
        if (pushes.Count == 0) return new Report([], null);
        var byRef = pushes.ToDictionary(p => p.Ref, StringComparer.Ordinal);
        // libgit2 pushes only from local refs, and wildcard refspecs fail: one explicit refspec per ref.
        // A deletion is ":ref"; "+" lets libgit2 send a non-fast-forward update (the lease still guards it).
        var refspecs = pushes.Select(p => p.NewSha is null ? $":{p.Ref}"
            : $"{(p.Force ? "+" : "")}{cache.Pin(p.Source, p.Ref, p.NewSha)}:{p.Ref}").ToList();

        var rejected = new Dictionary<string, string>(StringComparer.Ordinal);
        var alreadyThere = new HashSet<string>(StringComparer.Ordinal);
        string? leaseBroken = null;
        var options = new PushOptions
        {
            // Without this handler libgit2 reports success for refs the server refused.
            OnPushStatusError = error => rejected[error.Reference] = error.Message,
            OnNegotiationCompletedBeforePush = updates =>
            {
                foreach (var update in updates)
                {
                    // SourceObjectId is the remote's current value (the names read swapped).
                    if (!byRef.TryGetValue(update.DestinationRefName, out var planned)) continue;
                    var current = update.SourceObjectId is null || update.SourceObjectId == ObjectId.Zero ? null : update.SourceObjectId.Sha;
                    // Someone (usually the CI job) already pushed exactly what we were going to: done, not a conflict.
                    if (planned.NewSha is not null && string.Equals(current, planned.NewSha, StringComparison.OrdinalIgnoreCase))
                    {
                        alreadyThere.Add(planned.Ref);
                        continue;
                    }
                    if (!string.Equals(current, planned.OldSha, StringComparison.OrdinalIgnoreCase))
                    {
                        leaseBroken = $"{planned.Ref} moved on {target.Description} since it was read (expected {Describe(planned.OldSha)}, found {Describe(current)}); nothing was pushed there" +
                            (planned.Force || planned.NewSha is null ? "" : ", the next run syncs it");
                        return false;
                    }
                }
                return !cancellationToken.IsCancellationRequested;
            },
            OnPushTransferProgress = (_, _, _) => !cancellationToken.IsCancellationRequested,
            OnPackBuilderProgress = (_, _, _) => !cancellationToken.IsCancellationRequested,
        };

        log.Verbose($"Pushing {pushes.Count} refs to {target.Description}: {string.Join(", ", pushes)}");
        string? failure = null;
        Transport.GitTransportException? transportFailure = null;
        try
        {
            var remote = cache.Repository.Network.Remotes[MirrorCache.RemoteName(target.Side)];
            target.Run(() => cache.Repository.Network.Push(remote, refspecs, options), cancellationToken);
        }
        catch (UserCancelledException) when (leaseBroken is not null)
        {
            failure = leaseBroken;
        }
        catch (UserCancelledException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw;
        }
        catch (Transport.GitTransportException e)
        {
            transportFailure = e;
            failure = e.Message;
        }

        var updates = pushes.Select(p =>
        {
            var message = failure ?? (rejected.TryGetValue(p.Ref, out var why) ? $"rejected by {target.Description}: {why}" : null);
            return new MirrorRefUpdate
            {
                Ref = p.Ref,
                Target = p.Target,
                OldSha = p.OldSha,
                NewSha = p.NewSha,
                Succeeded = message is null,
                Message = message ?? (alreadyThere.Contains(p.Ref) ? $"already on {target.Side}"
                    : p.NewSha is null ? "deleted" : p.OldSha is null ? "created" : p.Force ? "replaced" : "fast-forwarded"),
            };
        }).ToList();
        return new Report(updates, transportFailure, failure == leaseBroken ? leaseBroken : null);
    }

    private static string Describe(string? sha) => sha is null ? "no ref" : PlannedPush.Short(sha);
}
