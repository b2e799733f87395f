using GitMirror.Core.Observe;
using GitMirror.Core.Plan;
using GitMirror.Core.Transport;

namespace GitMirror.Core.Apply;

/// <summary>
/// Apply: pushes planned updates to one side with the git CLI (multi-threaded pack building, streamed,
/// memory bounded whatever the size), as one <c>git push --atomic --porcelain</c> per side with one
/// <c>--force-with-lease=&lt;ref&gt;:&lt;expected&gt;</c> per ref: each ref is a compare-and-swap against the
/// value the plan was made from, and a side's updates land together or not at all. When the side
/// refuses a ref (a lost lease, a protected branch, a hook), the others are pushed again without it:
/// one ref that cannot be mirrored never holds back the rest. Sync pushes only fast-forward (the lease
/// pins the old value, the planner checked ancestry); a repair's forced update and a removal's deletion
/// go through the same lease, so no caller can overwrite or delete something it has not seen.
/// </summary>
public sealed class RefPusher(IMirrorLog log)
{
    /// <summary>
    /// Refs per git invocation. git matches every lease against every pushed ref, so a push's set-up
    /// grows with the square of its refs (0.1 s for 1,000); a second push costs a round trip and a pack.
    /// </summary>
    internal const int MaxRefsPerPush = 2000;

    /// <summary>
    /// Bytes of leases and refspecs per git invocation, well below the system's command-line limit:
    /// 2 MiB of arguments and environment on Linux, 1 MiB on macOS, 32,767 characters in all on Windows.
    /// </summary>
    internal static readonly int MaxArgumentBytesPerPush = OperatingSystem.IsWindows() ? 24 * 1024 : 512 * 1024;

    /// <summary>The pushes in order, cut into batches of at most <see cref="MaxRefsPerPush"/> refs and <see cref="MaxArgumentBytesPerPush"/> bytes.</summary>
    internal static IEnumerable<IReadOnlyList<PlannedPush>> Batches(IEnumerable<PlannedPush> pushes)
    {
        var batch = new List<PlannedPush>();
        var bytes = 0;
        foreach (var push in pushes)
        {
            var size = System.Text.Encoding.UTF8.GetByteCount(Lease(push)) + System.Text.Encoding.UTF8.GetByteCount(Refspec(push)) + 2;
            if (batch.Count > 0 && (batch.Count == MaxRefsPerPush || bytes + size > MaxArgumentBytesPerPush))
            {
                yield return batch;
                (batch, bytes) = ([], 0);
            }
            batch.Add(push);
            bytes += size;
        }
        if (batch.Count > 0) yield return batch;
    }

    /// <summary>The updates, and the transport failure that made the whole push fail, if one did.</summary>
    /// <param name="LeaseBroken">Set when a ref had moved on the target since it was read, so it was not pushed.</param>
    public sealed record Report(IReadOnlyList<MirrorRefUpdate> Updates, GitTransportException? Failure, string? LeaseBroken = null);

    public Report Push(MirrorCache cache, RemoteEndpoint target, IReadOnlyList<PlannedPush> pushes, CancellationToken cancellationToken) =>
        PushAsync(cache, target, pushes, cancellationToken).GetAwaiter().GetResult();

    public async Task<Report> PushAsync(MirrorCache cache, RemoteEndpoint target, IReadOnlyList<PlannedPush> pushes, CancellationToken cancellationToken)
    {
        if (pushes.Count == 0) return new Report([], null);
        var outcomes = new Dictionary<string, RefOutcome>(StringComparer.Ordinal);
        GitTransportException? failure = null;
        try
        {
            var left = await PushSeedPackAsync(cache, target, pushes, outcomes, cancellationToken).ConfigureAwait(false);
            if (left.Count > 0)
            {
                var from = cache.PushRepository();
                var toPush = await StageAsync(cache, from, target, left, cancellationToken).ConfigureAwait(false);
                foreach (var batch in Batches(toPush))
                {
                    failure ??= await PushBatchAsync(from, target, batch, outcomes, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (GitTransportException e)
        {
            failure = e; // the target could not be read or reached at all
        }

        string? leaseBroken = null;
        var updates = pushes.Select(p =>
        {
            var outcome = outcomes.GetValueOrDefault(p.Ref) ?? new RefOutcome(false, failure?.Message ?? "not pushed");
            if (outcome.LeaseLost) leaseBroken ??= outcome.Message;
            return new MirrorRefUpdate
            {
                Ref = p.Ref,
                Target = p.Target,
                OldSha = p.OldSha,
                NewSha = p.NewSha,
                Succeeded = outcome.Succeeded,
                Message = outcome.Message ?? (p.NewSha is null ? "deleted" : p.OldSha is null ? "created" : p.Force ? "replaced" : "fast-forwarded"),
            };
        }).ToList();
        return new Report(updates, updates.All(u => u.Succeeded) ? null : failure, leaseBroken);
    }

    /// <summary>
    /// A first sync into a side that holds nothing: the pack the cache's first clone brought is exactly
    /// the history to send, so it goes as it is (<see cref="HttpPackPusher"/>), atomically, each ref
    /// created only where none exists. git push would walk every object and write that pack again: a
    /// quarter of a big first push. Only when every push creates a ref from that history, over http(s),
    /// in one batch within the side's push limit. Returns the pushes git push still has to make: none
    /// when the side created every ref; all of them when it refused the pack (all or nothing: no ref
    /// moved); after a timeout or a broken connection, those the side does not hold now (the pack may
    /// have landed). A refused token, a missing repository, a move or a rate limit is final and thrown,
    /// as git push would report it.
    /// </summary>
    private async Task<IReadOnlyList<PlannedPush>> PushSeedPackAsync(MirrorCache cache, RemoteEndpoint target, IReadOnlyList<PlannedPush> pushes,
        Dictionary<string, RefOutcome> outcomes, CancellationToken cancellationToken)
    {
        if (!target.IsHttp || pushes.Count > MaxRefsPerPush) return pushes;
        var refs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var push in pushes)
        {
            // Creations only, each ref once.
            if (push.OldSha is not null || push.NewSha is null || !refs.TryAdd(push.Ref, push.NewSha)) return pushes;
        }
        if (cache.SeedPackReachedBy(refs.Values.ToHashSet(StringComparer.Ordinal)) is not { } pack || new FileInfo(pack).Length > target.MaxPushBytes)
        {
            return pushes;
        }
        log.Verbose($"Sending the cache's pack to {target.Description} as it is, creating {refs.Count} refs");
        try
        {
            var report = await target.PushPackAsync(refs, pack, cancellationToken).ConfigureAwait(false);
            if (report.CreatedAll)
            {
                foreach (var push in pushes) outcomes[push.Ref] = new RefOutcome(true, null);
                return [];
            }
            var said = report.ServerMessages.Count > 0 ? $"; it said: {string.Join(" / ", report.ServerMessages)}" : "";
            log.Verbose(report.NotSent is { } why
                ? $"{target.Description}: not sending the pack as it is, {why}; pushing with git"
                : $"{target.Description} refused the pack ({string.Join("; ", report.Refused.Take(3).Select(r => $"{r.Key}: {r.Value}"))}{said}); pushing with git");
            return pushes;
        }
        catch (GitTransportException e) when (e.Kind is TransportFailureKind.Timeout or TransportFailureKind.Unreachable
            or TransportFailureKind.Server or TransportFailureKind.Protocol)
        {
            log.Verbose($"{target.Description}: sending the pack as it is failed ({e.Message}); pushing with git what the side does not hold");
            return await ReobserveAsync(target, pushes, outcomes, cancellationToken).ConfigureAwait(false) ?? pushes;
        }
    }

    /// <summary>A history bigger than the side accepts goes out in steps first (see <see cref="PushStager"/>).</summary>
    private async Task<IReadOnlyList<PlannedPush>> StageAsync(MirrorCache cache, string from, RemoteEndpoint target, IReadOnlyList<PlannedPush> pushes,
        CancellationToken cancellationToken)
    {
        try
        {
            return await new PushStager(log).StageAsync(cache, target, pushes, async (step, ct) =>
            {
                var outcomes = new Dictionary<string, RefOutcome>(StringComparer.Ordinal);
                var failure = await PushBatchAsync(from, target, [step], outcomes, ct).ConfigureAwait(false);
                var done = failure is null && outcomes.TryGetValue(step.Ref, out var outcome) && outcome.Succeeded;
                log.Verbose(done ? $"{target.Description}: step {step} pushed"
                    : $"{target.Description}: step {step} failed ({failure?.Message ?? outcomes.GetValueOrDefault(step.Ref)?.Message}); pushing the rest whole");
                return done;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (GitTransportException e) when (e.Kind == TransportFailureKind.Protocol)
        {
            log.Verbose($"{target.Description}: could not size the push ({e.Message}); pushing it whole");
            return pushes;
        }
    }

    /// <param name="Message">Null for a plain success (the caller words it).</param>
    private sealed record RefOutcome(bool Succeeded, string? Message, bool LeaseLost = false);

    /// <summary>
    /// Pushes one batch atomically, then again without the refs the side refused, until every ref has an
    /// answer. Returns the transport failure that left refs without one.
    /// </summary>
    /// <param name="from">The cache's push repository (<see cref="MirrorCache.PushRepository"/>).</param>
    private async Task<GitTransportException?> PushBatchAsync(string from, RemoteEndpoint target, IReadOnlyList<PlannedPush> batch,
        Dictionary<string, RefOutcome> outcomes, CancellationToken cancellationToken)
    {
        var remaining = batch.ToList();
        var atomic = true;
        var retriedAfterFailure = false;
        var oneByOne = false;
        while (remaining.Count > 0)
        {
            var pushing = oneByOne ? remaining.Take(1).ToList() : remaining;
            var later = remaining.Skip(pushing.Count).ToList();
            log.Verbose($"Pushing {pushing.Count} refs to {target.Description}{(atomic ? " (atomic)" : "")}: {string.Join(", ", pushing.Take(20))}{(pushing.Count > 20 ? ", …" : "")}");
            var result = await target.RunGitAsync(from, PushArguments(pushing, atomic), pushing.Select(Refspec).ToList(), null, cancellationToken)
                .ConfigureAwait(false);
            var answers = PushPorcelain.Parse(result.StandardOutput);
            if (atomic && answers.Count == 0 && result.StandardError.Contains("does not support --atomic", StringComparison.Ordinal))
            {
                atomic = false; // an old server: each ref is still leased, only not all-or-nothing
                continue;
            }

            var serverLines = PushPorcelain.ServerMessages(result.StandardError);
            var retry = new List<PlannedPush>();
            var unanswered = new List<PlannedPush>();
            if (!oneByOne && pushing.Count > 1 && DeclinedAsAWhole(pushing, answers))
            {
                // A pre-receive hook (GitLab's protected branches, GitHub's rules) declines every ref of the
                // push with one reason, naming no culprit: push each ref alone so the others still land.
                log.Verbose($"{target.Description} declined all {pushing.Count} refs at once; pushing them one by one");
                oneByOne = true;
                continue;
            }
            foreach (var push in pushing)
            {
                if (!answers.TryGetValue(push.Ref, out var answer))
                {
                    unanswered.Add(push);
                    continue;
                }
                switch (answer.Kind)
                {
                    case PushAnswerKind.Applied:
                        outcomes[push.Ref] = new RefOutcome(true, null);
                        break;
                    case PushAnswerKind.UpToDate:
                        // Someone (usually the CI job) already pushed exactly this: done, not a conflict.
                        outcomes[push.Ref] = new RefOutcome(true, $"already on {target.Side}");
                        break;
                    case PushAnswerKind.HeldBackByAnother:
                        retry.Add(push);
                        break;
                    case PushAnswerKind.LeaseLost:
                        outcomes[push.Ref] = await LeaseLostAsync(target, push, cancellationToken).ConfigureAwait(false);
                        break;
                    case PushAnswerKind.Unknown:
                        unanswered.Add(push);
                        break;
                    default:
                        outcomes[push.Ref] = new RefOutcome(false, $"rejected by {target.Description}: {answer.Reason}{ServerSaid(serverLines, push.Ref)}");
                        break;
                }
            }

            if (unanswered.Count > 0)
            {
                var failure = target.GitFailure(result) ?? new GitTransportException(TransportFailureKind.Protocol,
                    $"{target.Description}: git push failed: {result.LastErrorLines()}");
                if (retriedAfterFailure || !failure.IsTransient) return failure;
                // The push may or may not have reached the server: read what the side holds now and push
                // again (once) only what is still missing; the leases make the second try safe either way.
                retriedAfterFailure = true;
                var again = await ReobserveAsync(target, unanswered, outcomes, cancellationToken).ConfigureAwait(false);
                if (again is null) return failure;
                log.Verbose($"{target.Description}: the push failed ({failure.Message}); {again.Count} refs still need it, trying once more");
                retry.AddRange(again);
            }
            else if (retry.Count == pushing.Count)
            {
                // Every ref "held back by another" and none refused: nothing would change on a retry.
                foreach (var push in retry) outcomes[push.Ref] = new RefOutcome(false, $"rejected by {target.Description}: {result.LastErrorLines()}");
                retry.Clear();
            }
            remaining = [.. retry, .. later];
        }
        return null;
    }

    /// <summary>Every ref refused, for the same reason: the server refused the push, not one ref of it.</summary>
    private static bool DeclinedAsAWhole(IReadOnlyList<PlannedPush> pushing, IReadOnlyDictionary<string, PushAnswer> answers)
    {
        var reasons = pushing.Select(p => answers.TryGetValue(p.Ref, out var a) && a.Kind == PushAnswerKind.Rejected ? a.Reason : null).ToList();
        return reasons.All(r => r is not null) && reasons.Distinct(StringComparer.Ordinal).Count() == 1;
    }

    private static List<string> PushArguments(IReadOnlyList<PlannedPush> pushes, bool atomic)
    {
        var arguments = new List<string> { "push", "--porcelain", "--progress", "--no-verify", "--no-follow-tags", "--no-signed" };
        if (atomic) arguments.Add("--atomic");
        // The lease: the ref must still hold what the plan saw (empty: must not exist).
        arguments.AddRange(pushes.Select(Lease));
        return arguments;
    }

    private static string Lease(PlannedPush push) => $"--force-with-lease={push.Ref}:{push.OldSha ?? ""}";

    /// <summary>
    /// From the object id itself: no local ref is needed, so nothing in the cache can get in the way.
    /// Never "+": git lets a forcing refspec override the lease. A matching lease alone allows a repair's
    /// non-fast-forward update.
    /// </summary>
    private static string Refspec(PlannedPush push) => push.NewSha is null ? $":{push.Ref}" : $"{push.NewSha}:{push.Ref}";

    /// <summary>A lost lease, saying what the target holds now (one more listing; only on this rare path).</summary>
    private static async Task<RefOutcome> LeaseLostAsync(RemoteEndpoint target, PlannedPush push, CancellationToken cancellationToken)
    {
        string? found;
        try
        {
            found = (await target.ListRefsAsync(cancellationToken).ConfigureAwait(false)).GetValueOrDefault(push.Ref);
        }
        catch (GitTransportException)
        {
            found = "?";
        }
        if (push.NewSha is not null && string.Equals(found, push.NewSha, StringComparison.OrdinalIgnoreCase))
        {
            return new RefOutcome(true, $"already on {target.Side}");
        }
        return new RefOutcome(false,
            $"{push.Ref} moved on {target.Description} since it was read (expected {PlannedPush.Short(push.OldSha, "no ref")}, found {(found == "?" ? "a value that could not be read" : PlannedPush.Short(found, "no ref"))}); " +
            $"it was not {(push.NewSha is null ? "deleted" : "pushed")}" + (push.Force || push.NewSha is null ? "" : ", the next run syncs it"),
            LeaseLost: true);
    }

    /// <summary>
    /// After a push whose outcome is unknown: refs the side now holds at our value are done, refs still at
    /// the expected old value get another try, refs at anything else lost their lease. Null when the side
    /// cannot be read either.
    /// </summary>
    private static async Task<List<PlannedPush>?> ReobserveAsync(RemoteEndpoint target, IReadOnlyList<PlannedPush> unanswered,
        Dictionary<string, RefOutcome> outcomes, CancellationToken cancellationToken)
    {
        IReadOnlyDictionary<string, string> now;
        try
        {
            now = await target.ListRefsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (GitTransportException)
        {
            return null;
        }
        var again = new List<PlannedPush>();
        foreach (var push in unanswered)
        {
            var current = now.GetValueOrDefault(push.Ref);
            if (string.Equals(current, push.NewSha, StringComparison.OrdinalIgnoreCase))
            {
                outcomes[push.Ref] = new RefOutcome(true, push.NewSha is null ? null : $"already on {target.Side}");
            }
            else if (string.Equals(current, push.OldSha, StringComparison.OrdinalIgnoreCase))
            {
                again.Add(push);
            }
            else
            {
                outcomes[push.Ref] = new RefOutcome(false,
                    $"{push.Ref} moved on {target.Description} while it was being pushed (expected {PlannedPush.Short(push.OldSha, "no ref")}, found {PlannedPush.Short(current, "no ref")}); it was not pushed again",
                    LeaseLost: true);
            }
        }
        return again;
    }

    /// <summary>The server's own words (hook output, GitHub's GH013 rule text) about this ref, or that mention no ref.</summary>
    private static string ServerSaid(IReadOnlyList<string> lines, string refName)
    {
        var relevant = lines.Where(l => l.Contains(refName, StringComparison.Ordinal) || !l.Contains("refs/", StringComparison.Ordinal)).ToList();
        if (relevant.Count == 0) return "";
        var text = string.Join(" ", relevant);
        return ": " + (text.Length > 600 ? text[..600] + "…" : text);
    }
}
