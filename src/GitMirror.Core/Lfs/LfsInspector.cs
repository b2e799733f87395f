using GitMirror.Core.Observe;
using GitMirror.Core.Plan;
using GitMirror.Core.Transport;

namespace GitMirror.Core.Lfs;

/// <summary>
/// Compare's LFS check: for each side that holds a ref, are the LFS objects that the ref's tip needs
/// for a checkout on that side? Kept cheap: it fetches nothing more than Observe did, so it looks at
/// the tips the cache holds (every ref that differed, and every commit GitMirror ever mirrored; a ref
/// in sync since before the pair's first run is not looked at). Only tips whose root
/// <c>.gitattributes</c> routes files through LFS are scanned, each distinct tip once, and each side
/// gets one batch question per 100 distinct objects (no content is transferred). Read-only on both sides.
/// </summary>
public static class LfsInspector
{
    public static async Task<IReadOnlyList<MirrorRefComparison>> InspectAsync(MirrorPair pair, MirrorCache cache,
        IReadOnlyList<MirrorRefComparison> comparisons, IMirrorLog log, CancellationToken cancellationToken)
    {
        if (!pair.Lfs || comparisons.Count == 0) return comparisons;
        var pointersOfTip = new Dictionary<string, IReadOnlyList<LfsPointer>>(StringComparer.Ordinal);
        var missing = new Dictionary<MirrorSide, HashSet<string>>();
        foreach (var side in new[] { MirrorSide.GitHub, MirrorSide.GitLab })
        {
            var tips = comparisons.Select(c => c.ShaOf(side)).OfType<string>().Distinct(StringComparer.Ordinal).Where(cache.Contains).ToList();
            var wanted = new Dictionary<string, LfsPointer>(StringComparer.Ordinal);
            try
            {
                var unseen = tips.Where(t => !pointersOfTip.ContainsKey(t)).ToList();
                var tracking = await LfsPointerScanner.TrackingLfsAsync(cache.Path, unseen, cancellationToken).ConfigureAwait(false);
                foreach (var tip in unseen)
                {
                    pointersOfTip[tip] = tracking.Contains(tip) ? await LfsPointerScanner.InTreeAsync(cache.Path, tip, cancellationToken).ConfigureAwait(false) : [];
                }
                foreach (var pointer in tips.SelectMany(t => pointersOfTip[t])) wanted.TryAdd(pointer.Oid, pointer);
                if (wanted.Count == 0) continue;

                var store = LfsStore.For(RemoteEndpoint.For(pair, side));
                log.Verbose($"[{pair.Name}] Checking {wanted.Count} LFS objects on {store.Description}");
                var answers = await store.RequestAsync(null, wanted.Values.ToList(), cancellationToken).ConfigureAwait(false);
                missing[side] = answers.Where(a => a.State == LfsObjectState.Missing).Select(a => a.Pointer.Oid).ToHashSet(StringComparer.Ordinal);
                foreach (var refused in answers.Where(a => a.State == LfsObjectState.Refused).Take(3))
                {
                    log.Warning($"[{pair.Name}] cannot tell whether {side} holds LFS object {refused.Pointer.Describe()}: {refused.Error}");
                }
            }
            catch (Exception e) when (e is LfsException or GitTransportException)
            {
                log.Warning($"[{pair.Name}] cannot check the LFS objects on {side}: {e.Message}");
            }
        }
        if (missing.Count == 0) return comparisons;

        return comparisons.Select(c =>
        {
            var lacking = new List<MirrorLfsObject>();
            foreach (var (side, oids) in missing)
            {
                if (c.ShaOf(side) is not { } tip || !pointersOfTip.TryGetValue(tip, out var pointers)) continue;
                lacking.AddRange(pointers.Where(p => oids.Contains(p.Oid))
                    .Select(p => new MirrorLfsObject { Oid = p.Oid, Size = p.Size, Path = p.Path, MissingOn = side }));
            }
            return lacking.Count == 0 ? c : c.WithLfsMissing(lacking);
        }).ToList();
    }
}
