using GitMirror.Core.Config;
using GitMirror.Core.Plan;
using GitMirror.Core.Report;
using GitMirror.Core.Unattended;
using GitMirror.Core.Transport;
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
            DeleteTree(path);
            Repository.Init(path, isBare: true);
        }
        RemoveStaleLockFiles(path);
        // What a killed first fetch left: only SeedAsync uses it, and a cache that got objects since never seeds again.
        DeleteTree(System.IO.Path.Combine(path, SeedDirectoryName));
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

    /// <summary>
    /// Fetches exactly the named refs of one side into refs/mirror/&lt;side&gt;/ with the git CLI (protocol v2:
    /// the server is asked for these refs only; no tags followed, nothing pruned). A ref deleted on the side
    /// since it was listed is left out; a stale copy in the cache that blocks a ref's name is dropped:
    /// whatever the cache holds never fails a sync.
    /// </summary>
    /// <param name="haves">
    /// Objects the cache holds that the side's new refs likely build on (the refs' previous values, the other
    /// side's values): offered to the server besides every ref of the cache. The copies about to be fetched
    /// again were dropped by <see cref="Forget"/>, so without them the server would send all history since
    /// the nearest other ref (thousands of objects for one new commit).
    /// </param>
    /// <param name="everyRef">
    /// <paramref name="refNames"/> are every branch and tag the side listed (a first sync): into an empty
    /// cache, a clone (see <see cref="SeedAsync"/>); else fetched with one wildcard refspec each for heads
    /// and tags, as git users do, instead of one per ref, which git spends over a second matching against
    /// the server's refs when there are a thousand of them.
    /// </param>
    public async Task FetchAsync(RemoteEndpoint endpoint, IEnumerable<string> refNames, CancellationToken cancellationToken,
        IEnumerable<string>? haves = null, bool everyRef = false)
    {
        var wanted = new List<string>(refNames);
        var clearedNamespace = false;
        var negotiation = NegotiationTips(haves);
        var wildcards = everyRef;
        if (everyRef && HoldsNoObjects() && await SeedAsync(endpoint, cancellationToken).ConfigureAwait(false))
        {
            // Anything the clone did not bring (deleted since it was listed, a shallow source) is asked for by name.
            wanted = Unfetched(endpoint.Side, wanted);
            wildcards = false;
        }
        while (wanted.Count > 0)
        {
            var refspecs = wildcards
                ? string.Concat(new[] { MirrorRefNames.BranchPrefix, MirrorRefNames.TagPrefix }.Select(p => $"+{p}*:{LocalRefFor(endpoint.Side, p)}*\n"))
                : string.Concat(wanted.Select(r => $"+{r}:{LocalRefFor(endpoint.Side, r)}\n"));
            var result = await endpoint.RunGitAsync(Path,
                ["fetch", "--progress", "--no-tags", "--no-write-fetch-head", "--no-auto-gc", "--no-auto-maintenance",
                 "--no-show-forced-updates", "--no-recurse-submodules", .. negotiation, "--stdin"],
                [], refspecs, cancellationToken).ConfigureAwait(false);
            if (result.Succeeded)
            {
                var unfetched = Unfetched(endpoint.Side, wanted);
                if (unfetched.Count == 0) return;
                if (wildcards)
                {
                    // Left out by the wildcards (deleted since it was listed, a shallow source): asked
                    // for by name, which tells those cases apart.
                    wildcards = false;
                    wanted = unfetched;
                    continue;
                }
                // git exits 0 yet leaves a ref unfetched when it would need the source's shallow roots
                // ("rejected … because shallow roots are not allowed to be updated"): a ref that could
                // not be read is a failure, never a ref the side no longer has.
                var why = result.StandardError.Contains("shallow roots", StringComparison.Ordinal)
                    ? "it is a shallow repository (its history is cut off), and the cache takes only whole histories: push the full history there (git fetch --unshallow, then git push)"
                    : result.StandardError.Trim();
                throw new GitTransportException(TransportFailureKind.Protocol,
                    $"{endpoint.Description}: cannot fetch {string.Join(", ", unfetched.Take(5))}{(unfetched.Count > 5 ? $" and {unfetched.Count - 5} more" : "")}: {why}");
            }

            var missing = System.Text.RegularExpressions.Regex.Match(result.StandardError, "couldn't find remote ref (\\S+)");
            if (missing.Success && wanted.Remove(missing.Groups[1].Value)) continue; // deleted since it was listed
            if (!clearedNamespace && result.StandardError.Contains("cannot lock ref", StringComparison.Ordinal))
            {
                // A name in the cache (left by an older version or a killed run) blocks one being fetched:
                // the copies are only names for objects the cache keeps anyway.
                ForgetAll(endpoint.Side);
                clearedNamespace = true;
                continue;
            }
            throw endpoint.GitFailure(result) ?? new GitTransportException(TransportFailureKind.Protocol,
                $"{endpoint.Description}: fetching into the cache failed: {result.StandardError.Trim()}");
        }
    }

    private List<string> Unfetched(MirrorSide side, IEnumerable<string> wanted) =>
        wanted.Where(r => Repository.Refs[LocalRefFor(side, r)] is null).ToList();

    /// <summary>Where <see cref="SeedAsync"/> clones to, inside the cache: deleting the cache deletes it too.</summary>
    internal const string SeedDirectoryName = "seed.git";

    /// <summary>No object at all: no pack index, no loose object (a new cache, or one whose objects were deleted).</summary>
    private bool HoldsNoObjects() => !PackIndexes().Any() && !HoldsLooseObjects();

    private IEnumerable<string> PackIndexes()
    {
        var pack = System.IO.Path.Combine(Path, "objects", "pack");
        return Directory.Exists(pack) ? Directory.EnumerateFiles(pack, "*.idx") : [];
    }

    private bool HoldsLooseObjects()
    {
        var objects = System.IO.Path.Combine(Path, "objects");
        return Directory.Exists(objects) && Directory.EnumerateDirectories(objects)
            .Any(d => System.IO.Path.GetFileName(d) is { Length: 2 } name && name.All(char.IsAsciiHexDigit) && Directory.EnumerateFileSystemEntries(d).Any());
    }

    /// <summary>The pack this run's first clone moved in, and every object id the clone asked for (its refs, a detached HEAD).</summary>
    private (string Pack, HashSet<string> Tips)? _seeded;

    /// <summary>
    /// The pack this run's first clone brought, while the cache holds no other object and
    /// <paramref name="pushed"/> include everything the clone asked for: the pack is then exactly the
    /// history of the pushed ids, fit to be sent as it is to a side that holds nothing. Null otherwise
    /// (the pack holds more than that history: sending it would hand a side objects it was never meant to get).
    /// </summary>
    public string? SeedPackReachedBy(IReadOnlySet<string> pushed)
    {
        if (_seeded is not var (pack, wanted) || !wanted.IsSubsetOf(pushed) || HoldsLooseObjects()) return null;
        var indexes = PackIndexes().ToList();
        return indexes.Count == 1 && System.IO.Path.ChangeExtension(indexes[0], ".pack") == pack && File.Exists(pack) ? pack : null;
    }

    /// <summary>
    /// The first fetch into an empty cache, as a bare clone of the side's branches and tags, moved into the
    /// cache. Same objects, same protocol as <c>git fetch</c>; but a clone's index-pack checks that the pack
    /// is self-contained and connected while it reads it, so the clone skips the connectivity walk a fetch
    /// does afterwards over every object (5–10 s for 80,000 commits). Returns false when the clone failed
    /// for a reason other than the side's (a shallow source): the fetch then runs and reports it as it
    /// always does. (Objects already moved in stay: they are whole packs, and only speed the fetch.)
    /// </summary>
    private async Task<bool> SeedAsync(RemoteEndpoint endpoint, CancellationToken cancellationToken)
    {
        var seed = System.IO.Path.Combine(Path, SeedDirectoryName);
        try
        {
            DeleteTree(seed);
            RemoveOrphanPackFiles();
            // No repository of ours around the clone (null): git clone would take GIT_DIR as its destination.
            var result = await endpoint.RunGitAsync(null, ["clone", "--bare", "--progress", "--no-local", "--reject-shallow", "--template="],
                [seed], null, cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                if (endpoint.GitFailure(result) is { } failure) throw failure;
                return false;
            }
            var listed = await GitProcess.RunAsync(seed, ["for-each-ref", "--format=%(objectname) %(refname)"], [], null, cancellationToken)
                .ConfigureAwait(false);
            if (!listed.Succeeded) return false;
            var refs = listed.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(' ', 2)).ToList();
            var tips = refs.Select(r => r[0]).ToHashSet(StringComparer.Ordinal);
            // A source whose HEAD is detached: the clone asked for that commit too.
            if (File.ReadAllText(System.IO.Path.Combine(seed, "HEAD")).Trim() is var head && ObjectIds.IsObjectId(head)) tips.Add(head);
            var packs = MoveObjectsFrom(seed);
            var updates = string.Concat(refs.Where(r => MirrorRefNames.IsMirrored(r[1])).Select(r => $"update {LocalRefFor(endpoint.Side, r[1])} {r[0]}\n"));
            for (var attempt = 0; ; attempt++)
            {
                var written = await GitProcess.RunAsync(Path, ["update-ref", "--stdin"], [], updates, cancellationToken).ConfigureAwait(false);
                if (written.Succeeded)
                {
                    if (packs.Count == 1) _seeded = (packs[0], tips);
                    return true;
                }
                if (attempt > 0) return false;
                // A name left in the cache blocks one of these (see FetchAsync): the names go, the objects are here.
                ForgetAll(endpoint.Side);
            }
        }
        finally
        {
            try
            {
                DeleteTree(seed);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Still held by a git being killed (Windows): Open clears it next time; the clone's own outcome is what counts.
            }
        }
    }

    /// <summary>Deletes a directory of the cache and everything in it, read-only files too (git for Windows makes packs read-only).</summary>
    private static void DeleteTree(string path)
    {
        if (!Directory.Exists(path)) return;
        if (OperatingSystem.IsWindows())
        {
            foreach (var file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)) File.SetAttributes(file, FileAttributes.Normal);
        }
        Directory.Delete(path, recursive: true);
    }

    /// <summary>
    /// Moves a clone's objects into the cache by renaming (same file system). Pack indexes go last: git
    /// sees a pack only through its index, so a run killed half-way leaves at worst a pack without one,
    /// which <see cref="RemoveOrphanPackFiles"/> clears the next time.
    /// </summary>
    /// <returns>The pack files moved in, where they are now.</returns>
    private List<string> MoveObjectsFrom(string seed)
    {
        var from = System.IO.Path.Combine(seed, "objects");
        var to = System.IO.Path.Combine(Path, "objects");
        var files = Directory.EnumerateFiles(from, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
            .Select(f => System.IO.Path.GetRelativePath(from, f))
            .Where(f => !f.StartsWith("info" + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .OrderBy(f => f.EndsWith(".idx", StringComparison.Ordinal))
            .ToList();
        var packs = new List<string>();
        foreach (var file in files)
        {
            var target = System.IO.Path.Combine(to, file);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
            if (!File.Exists(target)) File.Move(System.IO.Path.Combine(from, file), target);
            if (target.EndsWith(".pack", StringComparison.Ordinal)) packs.Add(target);
        }
        return packs;
    }

    /// <summary>In a cache with no pack index, any pack file is left over from a killed run: nothing can refer to it.</summary>
    private void RemoveOrphanPackFiles()
    {
        var pack = System.IO.Path.Combine(Path, "objects", "pack");
        if (!Directory.Exists(pack)) return;
        foreach (var file in Directory.EnumerateFiles(pack))
        {
            File.SetAttributes(file, FileAttributes.Normal);
            File.Delete(file);
        }
    }

    /// <summary>Where <see cref="PushRepository"/> is, inside the cache.</summary>
    internal const string PushDirectoryName = "push.git";

    /// <summary>
    /// A bare repository with no refs that borrows every object of the cache (objects/info/alternates):
    /// pushes run there. git push matches each refspec against every local ref, and a cache holds both
    /// sides' copies of every ref: a first push of 1,000 refs from the cache spends seconds on that
    /// before it builds the pack, from here a fraction of one. Made (or repaired) on every call; it
    /// holds nothing of its own, so deleting it loses nothing.
    /// </summary>
    public string PushRepository()
    {
        var push = System.IO.Path.Combine(Path, PushDirectoryName);
        Directory.CreateDirectory(System.IO.Path.Combine(push, "refs"));
        foreach (var (file, content) in CacheRepositoryConfig.PushRepositoryFiles)
        {
            var path = System.IO.Path.Combine(push, file);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            AtomicFile.WriteAllBytesVolatileIfChanged(path, System.Text.Encoding.UTF8.GetBytes(content));
        }
        return push;
    }

    /// <summary>Haves offered in a fetch's negotiation beyond the cache's refs; bounded so the command line stays short.</summary>
    internal const int MaxNegotiationTips = 256;

    /// <summary>
    /// git fetch's --negotiation-tip options: every ref of the cache, plus the given objects the cache holds.
    /// None at all (git's default: every ref) when there are no such objects.
    /// </summary>
    private List<string> NegotiationTips(IEnumerable<string>? haves)
    {
        var tips = (haves ?? []).Distinct(StringComparer.Ordinal).Where(Contains).Take(MaxNegotiationTips).ToList();
        if (tips.Count == 0) return [];
        return ["--negotiation-tip=refs/*", .. tips.Select(t => "--negotiation-tip=" + t)];
    }

    /// <summary>Drops every cached copy of a side's refs (the objects stay).</summary>
    private void ForgetAll(MirrorSide side)
    {
        var prefix = $"refs/mirror/{RemoteName(side)}/";
        foreach (var local in Repository.Refs.Where(r => r.CanonicalName.StartsWith(prefix, StringComparison.Ordinal)).ToList())
        {
            Repository.Refs.Remove(local);
        }
    }

    /// <summary>
    /// Drops the cache's copies of a side's refs that the side no longer lists, and of those about to
    /// be fetched again. A stale copy must never stand in for what the side holds now (a ref deleted
    /// before the fetch would keep its old value), nor block a new ref by a file/directory conflict
    /// (refs/mirror/github/heads/x left over from a removed branch x stops x/y from being fetched).
    /// The objects stay in the cache; only the names go.
    /// </summary>
    /// <returns>The values of the dropped copies of <paramref name="refetch"/>: good haves for fetching them again.</returns>
    public IReadOnlyList<string> Forget(MirrorSide side, IReadOnlyDictionary<string, string> listed, IEnumerable<string> refetch)
    {
        var prefix = $"refs/mirror/{RemoteName(side)}/";
        var again = new HashSet<string>(refetch, StringComparer.Ordinal);
        var previous = new List<string>();
        foreach (var local in Repository.Refs.Where(r => r.CanonicalName.StartsWith(prefix, StringComparison.Ordinal)).ToList())
        {
            var name = "refs/" + local.CanonicalName[prefix.Length..];
            if (again.Contains(name) && local.TargetIdentifier is { } value) previous.Add(value);
            if (!listed.ContainsKey(name) || again.Contains(name)) Repository.Refs.Remove(local);
        }
        return previous;
    }


    /// <summary>Bytes of the cache's objects on disk (packs and loose objects): an upper bound for any push from it.</summary>
    public long ObjectBytes()
    {
        var objects = System.IO.Path.Combine(Path, "objects");
        if (!Directory.Exists(objects)) return 0;
        return Directory.EnumerateFiles(objects, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".idx", StringComparison.Ordinal) && !f.EndsWith(".rev", StringComparison.Ordinal))
            .Sum(f => new FileInfo(f).Length);
    }

    /// <summary>Packs the cache may hold before <see cref="ConsolidateAsync"/> rolls them up.</summary>
    internal const int PackThreshold = 16;

    /// <summary>Loose objects (small fetches unpack into them) allowed before they are packed, estimated as git gc does.</summary>
    internal const int LooseThreshold = 1000;

    /// <summary>
    /// Keeps the cache small and fast: every fetch adds a pack or loose objects, so after a threshold
    /// the small packs and the loose objects are rolled into bigger ones (a geometric repack: the big
    /// old pack is left alone, so the cost stays proportional to what is new). Nothing is pruned; a
    /// failure only costs speed and is never the sync's failure. Callers hold the pair's lock.
    /// </summary>
    public async Task<bool> ConsolidateAsync(IMirrorLog log, CancellationToken cancellationToken)
    {
        var packDir = System.IO.Path.Combine(Path, "objects", "pack");
        var packs = Directory.Exists(packDir) ? Directory.EnumerateFiles(packDir, "*.pack").Count() : 0;
        var sample = System.IO.Path.Combine(Path, "objects", "17");
        var loose = Directory.Exists(sample) ? Directory.EnumerateFiles(sample).Count() * 256 : 0;
        if (packs <= PackThreshold && loose <= LooseThreshold) return false;

        log.Verbose($"Consolidating the cache {Path} ({packs} packs, about {loose} loose objects)");
        var result = await GitProcess.RunAsync(Path, ["repack", "-d", "-q", "--geometric=2", "--no-write-bitmap-index"], [], null, cancellationToken)
            .ConfigureAwait(false);
        if (result.Succeeded) result = await GitProcess.RunAsync(Path, ["prune-packed", "-q"], [], null, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded) log.Verbose($"Consolidating the cache failed (only speed is lost): {result.StandardError.Trim()}");
        return result.Succeeded;
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
