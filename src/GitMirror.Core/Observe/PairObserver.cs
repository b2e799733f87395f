using GitMirror.Core.Plan;
using GitMirror.Core.Unattended;

namespace GitMirror.Core.Observe;

/// <summary>
/// Observe: lists both sides' branches and tags, fetches into the cache only the objects it lacks
/// (a no-op poll lists refs and transfers no pack), and works out how differing branches relate.
/// </summary>
public sealed class PairObserver(IMirrorLog log, MirrorRetryOptions? retry = null)
{
    public async Task<PairObservation> ObserveAsync(MirrorPair pair, MirrorCache cache, CancellationToken cancellationToken)
    {
        var github = RemoteEndpoint.For(pair, MirrorSide.GitHub);
        var gitlab = RemoteEndpoint.For(pair, MirrorSide.GitLab);

        log.Verbose($"[{pair.Name}] Listing refs on GitHub and GitLab");
        // Reading is safe to repeat: transient failures are retried. Pushes are not (the next run converges).
        var githubList = WithRetry(github, ct => github.ListRefsAsync(ct), cancellationToken);
        var gitlabList = WithRetry(gitlab, ct => gitlab.ListRefsAsync(ct), cancellationToken);
        var githubRefs = new Dictionary<string, string>(await githubList.ConfigureAwait(false), StringComparer.Ordinal);
        var gitlabRefs = new Dictionary<string, string>(await gitlabList.ConfigureAwait(false), StringComparer.Ordinal);
        log.Verbose($"[{pair.Name}] GitHub has {githubRefs.Count} refs, GitLab has {gitlabRefs.Count}");

        // Refs the rules leave out are never fetched: the planner sees only their names and values
        // (they can still stand in another ref's way), and the cache forgets any copy of them.
        var rules = pair.RefRules;
        var leftOut = rules.IsEverything ? 0 : githubRefs.Keys.Union(gitlabRefs.Keys).Count(r => !rules.Includes(r));
        if (leftOut > 0) log.Verbose($"[{pair.Name}] {leftOut} refs left out by the ref rules");

        foreach (var (endpoint, refs) in new[] { (github, githubRefs), (gitlab, gitlabRefs) })
        {
            var other = refs == githubRefs ? gitlabRefs : githubRefs;
            var included = leftOut == 0 ? refs : refs.Where(r => rules.Includes(r.Key)).ToDictionary(StringComparer.Ordinal);
            var needed = included
                .Where(r => !(other.TryGetValue(r.Key, out var sha) && sha == r.Value) && !cache.Contains(r.Value))
                .Select(r => r.Key)
                .ToList();
            var previous = cache.Forget(endpoint.Side, included, needed);
            if (needed.Count == 0) continue;
            // What the new values most likely build on: the refs' last values here, and the other side's values.
            var haves = previous.Concat(needed.Select(n => other.GetValueOrDefault(n)).OfType<string>()).ToList();

            log.Verbose($"[{pair.Name}] Fetching {needed.Count} refs from {endpoint.Description}");
            await WithRetry(endpoint, async ct =>
            {
                await cache.FetchAsync(endpoint, needed, ct, haves, everyRef: leftOut == 0 && needed.Count == refs.Count).ConfigureAwait(false);
                return true;
            }, cancellationToken).ConfigureAwait(false);

            // A ref may have moved between listing and fetching: what was fetched is the newer truth.
            foreach (var name in needed)
            {
                var local = cache.Repository.Refs[MirrorCache.LocalRefFor(endpoint.Side, name)];
                if (local is null)
                {
                    // Gone before it could be fetched: the side no longer has it (the other side's copy is restored, leased on "absent").
                    log.Verbose($"[{pair.Name}] {name} disappeared from {endpoint.Description} while being read");
                    refs.Remove(name);
                }
                else if (local.TargetIdentifier is { } current && current != refs[name])
                {
                    log.Verbose($"[{pair.Name}] {name} moved on {endpoint.Description} while being read; using {PlannedPush.Short(current)}");
                    refs[name] = current;
                }
            }
        }

        var observed = new List<ObservedRef>();
        foreach (var name in githubRefs.Keys.Union(gitlabRefs.Keys).Order(StringComparer.Ordinal))
        {
            githubRefs.TryGetValue(name, out var githubSha);
            gitlabRefs.TryGetValue(name, out var gitlabSha);
            BranchHistory? history = null;
            if (githubSha is not null && gitlabSha is not null && githubSha != gitlabSha
                && MirrorRefNames.KindOf(name) == MirrorRefKind.Branch && (leftOut == 0 || rules.Includes(name)))
            {
                history = cache.HistoryOf(githubSha, gitlabSha);
            }
            observed.Add(new ObservedRef(name, githubSha, gitlabSha, history));
        }
        return new PairObservation { Pair = pair, Refs = observed };
    }

    private Task<T> WithRetry<T>(RemoteEndpoint endpoint, Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken) =>
        MirrorRetry.Create(endpoint.Description, log, retry)
            .ExecuteAsync(async ct => await Task.Run(() => operation(ct), ct).ConfigureAwait(false), cancellationToken)
            .AsTask();
}
