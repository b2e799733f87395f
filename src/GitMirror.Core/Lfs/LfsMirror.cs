using GitMirror.Core.Observe;
using GitMirror.Core.Plan;
using GitMirror.Core.Transport;

namespace GitMirror.Core.Lfs;

/// <summary>
/// Apply's LFS step, run before a side's ref pushes: for each ref about to move, finds the LFS pointer
/// files in the commits the target lacks and makes sure every object they name is on the target,
/// copying it from the source side (streamed, checked against its SHA-256). A ref whose objects cannot
/// all be placed does not move: it becomes a failed update naming the object and the reason, so the
/// pair is Failed; the other refs still go.
/// </summary>
public sealed class LfsMirror(IMirrorLog log)
{
    /// <summary>Warnings written per ref; the rest are counted in the update's message.</summary>
    private const int MaxWarningsPerRef = 10;

    /// <param name="Ready">The pushes whose LFS objects are all on the target (or that carry none).</param>
    /// <param name="Blocked">Failed updates for the refs held back, with the reason.</param>
    public sealed record Result(IReadOnlyList<PlannedPush> Ready, IReadOnlyList<MirrorRefUpdate> Blocked);

    /// <param name="plan">The pair's plan: what each side's refs point to now (all in the cache).</param>
    /// <param name="pushes">The pushes to one side.</param>
    public async Task<Result> PrepareAsync(MirrorPair pair, MirrorCache cache, SyncPlan plan, IReadOnlyList<PlannedPush> pushes,
        CancellationToken cancellationToken)
    {
        if (!pair.Lfs || pushes.All(p => p.NewSha is null)) return new Result(pushes, []);
        var target = pushes[0].Target;
        // What the target already has: its refs' objects. Refs whose LFS objects were placed join the
        // set as we go, so an initial mirror walks the history once, not once per ref.
        var known = new HashSet<string>(plan.Comparisons.Select(c => c.ShaOf(target)).OfType<string>().Where(cache.Contains), StringComparer.Ordinal);
        var placed = new HashSet<string>(StringComparer.Ordinal);
        var stores = new Dictionary<MirrorSide, LfsStore>();
        LfsStore Store(MirrorSide side) => stores.TryGetValue(side, out var s) ? s : stores[side] = LfsStore.For(RemoteEndpoint.For(pair, side));

        // One walk over everything the side lacks first: a history without pointer files (most
        // repositories, and every initial sync of one) then costs one scan, not one per ref.
        // A side that holds nothing lacks the whole history: then no pointer anywhere in the cache (read
        // from the packs' index, no walk) settles it faster still.
        var unknownTips = pushes.Select(p => p.NewSha).OfType<string>().Where(sha => !known.Contains(sha)).Distinct(StringComparer.Ordinal).ToList();
        if (unknownTips.Count > 1 || known.Count == 0)
        {
            try
            {
                var none = known.Count == 0
                    ? !await LfsPointerScanner.AnyInRepositoryAsync(cache.Path, cancellationToken).ConfigureAwait(false)
                    : (await LfsPointerScanner.InRangeAsync(cache.Path, unknownTips, known, cancellationToken).ConfigureAwait(false)).Count == 0;
                if (none)
                {
                    log.Verbose($"[{pair.Name}] No LFS pointer files in the commits {target} lacks");
                    return new Result(pushes, []);
                }
            }
            catch (Exception e) when (e is LfsException or GitTransportException)
            {
                // Each ref's own scan below reports it against that ref.
            }
        }

        var ready = new List<PlannedPush>();
        var blocked = new List<MirrorRefUpdate>();
        foreach (var push in pushes)
        {
            if (push.NewSha is null || known.Contains(push.NewSha))
            {
                ready.Add(push);
                continue;
            }
            List<string> problems;
            try
            {
                var pointers = await LfsPointerScanner.InRangeAsync(cache.Path, push.NewSha, known, cancellationToken).ConfigureAwait(false);
                var needed = pointers.Where(p => !placed.Contains(p.Oid)).ToList();
                if (pointers.Count > 0)
                {
                    log.Verbose($"[{pair.Name}] {push.Ref}: {pointers.Count} LFS objects in the commits {target} lacks; checking {needed.Count}");
                }
                problems = needed.Count == 0 ? [] : await PlaceAsync(pair, push, needed, Store(push.Source), Store(target), placed, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is LfsException or GitTransportException)
            {
                problems = [e.Message];
            }

            if (problems.Count == 0)
            {
                ready.Add(push);
                known.Add(push.NewSha);
                continue;
            }
            foreach (var problem in problems.Take(MaxWarningsPerRef))
            {
                log.Warning($"[{pair.Name}] {push.Ref} not pushed to {target}: {problem}");
            }
            var more = problems.Count > 1 ? $" (and {problems.Count - 1} more LFS problems)" : "";
            blocked.Add(new MirrorRefUpdate
            {
                Ref = push.Ref,
                Target = target,
                OldSha = push.OldSha,
                NewSha = push.NewSha,
                Succeeded = false,
                Message = $"not pushed: {problems[0]}{more}",
            });
        }
        return new Result(ready, blocked);
    }

    /// <summary>Copies the objects the target lacks; returns what went wrong, one line per object.</summary>
    private async Task<List<string>> PlaceAsync(MirrorPair pair, PlannedPush push, IReadOnlyList<LfsPointer> objects, LfsStore source, LfsStore target,
        HashSet<string> placed, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var offers = await target.OfferAsync(push.Ref, objects, cancellationToken).ConfigureAwait(false);
        var wanted = new Dictionary<string, LfsObjectAnswer>(StringComparer.Ordinal);
        foreach (var offer in offers)
        {
            switch (offer.State)
            {
                case LfsObjectState.Present:
                    placed.Add(offer.Pointer.Oid);
                    break;
                case LfsObjectState.Wanted:
                    wanted[offer.Pointer.Oid] = offer;
                    break;
                default:
                    problems.Add($"{target.Description} refused LFS object {offer.Pointer.Describe()}: {offer.Error}");
                    break;
            }
        }
        if (wanted.Count == 0) return problems;

        log.Verbose($"[{pair.Name}] {push.Ref}: copying {wanted.Count} LFS objects from {source.Description} to {target.Description}");
        var available = await source.RequestAsync(push.Ref, wanted.Values.Select(w => w.Pointer).ToList(), cancellationToken).ConfigureAwait(false);
        foreach (var answer in available)
        {
            var pointer = answer.Pointer;
            if (answer.State == LfsObjectState.Missing)
            {
                problems.Add($"LFS object {pointer.Describe()} is missing on {source.Description}{(answer.Error is null ? "" : $" ({answer.Error})")}");
                continue;
            }
            if (answer.State != LfsObjectState.Available)
            {
                problems.Add($"{source.Description} refused to serve LFS object {pointer.Describe()}: {answer.Error}");
                continue;
            }
            try
            {
                await using var content = new VerifyingStream(await source.OpenReadAsync(answer, cancellationToken).ConfigureAwait(false),
                    pointer, source.Description);
                await target.WriteAsync(wanted[pointer.Oid], content, cancellationToken).ConfigureAwait(false);
                placed.Add(pointer.Oid);
            }
            catch (LfsException e)
            {
                problems.Add(e.Message);
            }
            catch (IOException e)
            {
                problems.Add($"copying LFS object {pointer.Describe()} to {target.Description} failed: {e.Message}");
            }
        }
        return problems;
    }
}
