using GitMirror.Core.Observe;
using GitMirror.Core.Plan;
using LibGit2Sharp;

namespace GitMirror.Core.Apply;

/// <summary>
/// Apply: pushes planned updates to one side as plain (non-force) updates of explicit refs, with a
/// lease: if the target's ref no longer holds the value the plan was made from, nothing is pushed
/// to that side (the next run plans again from the new state).
/// </summary>
public sealed class RefPusher(IMirrorLog log)
{
    /// <summary>The updates, and the transport failure that made the whole push fail, if one did.</summary>
    public sealed record Report(IReadOnlyList<MirrorRefUpdate> Updates, Transport.GitTransportException? Failure);

    public Report Push(MirrorCache cache, RemoteEndpoint target, IReadOnlyList<PlannedPush> pushes, CancellationToken cancellationToken)
    {
        if (pushes.Count == 0) return new Report([], null);
        var byRef = pushes.ToDictionary(p => p.Ref, StringComparer.Ordinal);
        // libgit2 pushes only from local refs, and wildcard refspecs fail: one explicit refspec per ref.
        var refspecs = pushes.Select(p => $"{cache.Pin(p.Source, p.Ref, p.NewSha)}:{p.Ref}").ToList();

        var rejected = new Dictionary<string, string>(StringComparer.Ordinal);
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
                    if (!string.Equals(current, planned.OldSha, StringComparison.OrdinalIgnoreCase))
                    {
                        leaseBroken = $"{planned.Ref} moved on {target.Description} since it was read (expected {Describe(planned.OldSha)}, found {Describe(current)}); nothing was pushed there, the next run syncs it";
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
                Message = message ?? (p.OldSha is null ? "created" : "fast-forwarded"),
            };
        }).ToList();
        return new Report(updates, transportFailure);
    }

    private static string Describe(string? sha) => sha is null ? "no ref" : PlannedPush.Short(sha);
}
