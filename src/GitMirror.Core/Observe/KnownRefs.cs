using GitMirror.Core.Unattended;
using LibGit2Sharp;

namespace GitMirror.Core.Observe;

/// <summary>
/// The branch and tag names a pair is known to have, for Tab completion of -Ref: the cache's copies
/// of both sides when it has any (local files, no lock, no network), else a listing of both sides
/// bounded by a short timeout. Never throws: completion must not.
/// </summary>
public static class KnownRefs
{
    public static async Task<IReadOnlyList<string>> OfAsync(MirrorPair pair, TimeSpan listingTimeout, CancellationToken cancellationToken)
    {
        var cached = Cached(pair);
        if (cached.Count > 0) return cached;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(listingTimeout);
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var side in new[] { MirrorSide.GitHub, MirrorSide.GitLab })
        {
            try
            {
                var endpoint = RemoteEndpoint.For(pair, side);
                names.UnionWith((await endpoint.ListRefsAsync(timeout.Token).ConfigureAwait(false)).Keys.Where(MirrorRefNames.IsMirrored));
            }
            catch (Exception)
            {
                // Unreachable, no token, timed out: complete from the other side, or nothing.
            }
        }
        return [.. names];
    }

    /// <summary>Refs the cache holds of either side (refs/mirror/github/heads/main → refs/heads/main).</summary>
    public static IReadOnlyList<string> Cached(MirrorPair pair)
    {
        var path = Path.Combine(pair.CachePath, "repos", PairFileName.For(pair.Name) + ".git");
        try
        {
            if (!Repository.IsValid(path)) return [];
            using var repository = new Repository(path);
            return repository.Refs
                .Select(r => r.CanonicalName)
                .Where(n => n.StartsWith("refs/mirror/", StringComparison.Ordinal))
                .Select(n => "refs/" + n.Split('/', 4)[3])
                .Where(MirrorRefNames.IsMirrored)
                .Distinct(StringComparer.Ordinal)
                .Order(StringComparer.Ordinal)
                .ToList();
        }
        catch (Exception)
        {
            return [];
        }
    }
}
