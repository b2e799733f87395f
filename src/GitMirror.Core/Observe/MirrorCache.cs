using GitMirror.Core.Config;
using GitMirror.Core.Plan;
using GitMirror.Core.Unattended;
using LibGit2Sharp;

namespace GitMirror.Core.Observe;

/// <summary>
/// The pair's bare repository in the cache directory. It only speeds things up: objects fetched
/// once are not fetched again, and deleting it changes no result. Both sides are named remotes
/// (libgit2 fetches only through named remotes) whose URLs never hold credentials.
/// </summary>
public sealed class MirrorCache : IDisposable
{
    private MirrorCache(string path, Repository repository)
    {
        Path = path;
        Repository = repository;
    }

    public string Path { get; }

    public Repository Repository { get; }

    /// <summary>
    /// Opens (or creates) the pair's cache repository. Callers hold the pair's lock (SyncRun,
    /// LockedPair), so no other process is writing to it: lock files left by a killed run are stale.
    /// </summary>
    public static MirrorCache Open(MirrorPair pair)
    {
        var reposDir = CacheTrust.EnsureSubdirectory(pair.CachePath, "repos");
        var path = System.IO.Path.Combine(reposDir, PairFileName.For(pair.Name) + ".git");
        // Nobody else may have changed what git is about to read (issue 12): ours, no links.
        CacheTrust.CheckTree(path);
        if (!Repository.IsValid(path))
        {
            // A half-created cache (killed during init) is just rebuilt: it holds nothing of value.
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            Repository.Init(path, isBare: true);
        }
        RemoveStaleLockFiles(path);
        CacheRepositoryConfig.Write(path, pair);
        var repository = new Repository(path);
        foreach (var side in new[] { MirrorSide.GitHub, MirrorSide.GitLab })
        {
            var name = RemoteName(side);
            var url = pair.UrlOf(side);
            var remote = repository.Network.Remotes[name];
            if (remote is null) repository.Network.Remotes.Add(name, url);
            else if (remote.Url != url) repository.Network.Remotes.Update(name, r => r.Url = url);
        }
        return new MirrorCache(path, repository);
    }

    /// <summary>
    /// A run killed while git updated a ref or the config leaves "name.lock" behind, and every later
    /// update of that ref fails until it is gone. Only the cache's own files are touched.
    /// </summary>
    private static void RemoveStaleLockFiles(string repositoryPath)
    {
        var candidates = new[] { "config.lock", "packed-refs.lock", "HEAD.lock" }
            .Select(f => System.IO.Path.Combine(repositoryPath, f))
            .Concat(Directory.Exists(System.IO.Path.Combine(repositoryPath, "refs"))
                ? Directory.EnumerateFiles(System.IO.Path.Combine(repositoryPath, "refs"), "*.lock",
                    new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
                : []);
        foreach (var file in candidates.Where(File.Exists))
        {
            File.Delete(file);
        }
    }

    public static string RemoteName(MirrorSide side) => side == MirrorSide.GitHub ? "github" : "gitlab";

    /// <summary>Where the cache keeps a side's copy of a ref: refs/mirror/github/heads/main.</summary>
    public static string LocalRefFor(MirrorSide side, string refName) =>
        $"refs/mirror/{RemoteName(side)}/{refName["refs/".Length..]}";

    public bool Contains(string sha) => Repository.ObjectDatabase.Contains(new ObjectId(sha));

    /// <summary>Fetches exactly the named refs of one side (no tags followed, nothing pruned).</summary>
    public void Fetch(RemoteEndpoint endpoint, IEnumerable<string> refNames, CancellationToken cancellationToken)
    {
        var refspecs = refNames.Select(r => $"+{r}:{LocalRefFor(endpoint.Side, r)}").ToList();
        if (refspecs.Count == 0) return;
        var options = new FetchOptions
        {
            TagFetchMode = TagFetchMode.None,
            Prune = false,
            // Returning false cancels the transfer: the only way to stop libgit2 mid-fetch.
            OnTransferProgress = _ => !cancellationToken.IsCancellationRequested,
            OnProgress = _ => !cancellationToken.IsCancellationRequested,
        };
        endpoint.Run(() => Commands.Fetch(Repository, RemoteName(endpoint.Side), refspecs, options, logMessage: null), cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// Drops the cache's copies of a side's refs that the side no longer lists, and of those about to
    /// be fetched again. A stale copy must never stand in for what the side holds now (a ref deleted
    /// before the fetch would keep its old value), nor block a new ref by a file/directory conflict
    /// (refs/mirror/github/heads/x left over from a removed branch x stops x/y from being fetched).
    /// The objects stay in the cache; only the names go.
    /// </summary>
    public void Forget(MirrorSide side, IReadOnlyDictionary<string, string> listed, IEnumerable<string> refetch)
    {
        var prefix = $"refs/mirror/{RemoteName(side)}/";
        var again = new HashSet<string>(refetch, StringComparer.Ordinal);
        foreach (var local in Repository.Refs.Where(r => r.CanonicalName.StartsWith(prefix, StringComparison.Ordinal)).ToList())
        {
            var name = "refs/" + local.CanonicalName[prefix.Length..];
            if (!listed.ContainsKey(name) || again.Contains(name)) Repository.Refs.Remove(local);
        }
    }

    /// <summary>Points the cache's copy of a side's ref at <paramref name="sha"/> (which the cache holds).</summary>
    public string Pin(MirrorSide side, string refName, string sha)
    {
        var local = LocalRefFor(side, refName);
        Repository.Refs.Add(local, new ObjectId(sha), allowOverwrite: true);
        return local;
    }

    /// <summary>How two different commits relate; null when either is not a commit.</summary>
    public BranchHistory? HistoryOf(string githubSha, string gitlabSha)
    {
        var github = Repository.Lookup<Commit>(githubSha);
        var gitlab = Repository.Lookup<Commit>(gitlabSha);
        if (github is null || gitlab is null) return null;
        var divergence = Repository.ObjectDatabase.CalculateHistoryDivergence(github, gitlab);
        return new BranchHistory(divergence.CommonAncestor?.Sha, divergence.AheadBy ?? 0, divergence.BehindBy ?? 0);
    }

    public void Dispose() => Repository.Dispose();
}
