namespace GitMirror.Core.Plan;

/// <summary>
/// The heart of the sync semantics (design.md §6), as a pure function: two ref maps plus ancestry
/// in, comparisons and pushes out. No I/O, so every rule is table-tested.
/// </summary>
public static class SyncPlanner
{
    public static MirrorRefStatus Classify(ObservedRef observed)
    {
        var (github, gitlab) = (observed.GitHubSha, observed.GitLabSha);
        if (github is null && gitlab is null)
        {
            throw new ArgumentException($"{observed.Ref} is on neither side", nameof(observed));
        }
        if (gitlab is null) return MirrorRefStatus.GitHubOnly;
        if (github is null) return MirrorRefStatus.GitLabOnly;
        if (string.Equals(github, gitlab, StringComparison.OrdinalIgnoreCase)) return MirrorRefStatus.InSync;

        // Tags never move: any difference (moved, annotated vs lightweight) is a divergence.
        if (MirrorRefNames.KindOf(observed.Ref) == MirrorRefKind.Tag || observed.History is not { } history)
        {
            return MirrorRefStatus.Diverged;
        }
        return (history.GitHubAheadBy > 0, history.GitLabAheadBy > 0) switch
        {
            (true, false) => MirrorRefStatus.GitHubAhead,
            (false, true) => MirrorRefStatus.GitLabAhead,
            _ => MirrorRefStatus.Diverged,
        };
    }

    /// <summary>Plans a pair's sync under the pair's own ref rules.</summary>
    public static SyncPlan Plan(MirrorPair pair, IEnumerable<ObservedRef> observed) => Plan(pair, observed, pair.RefRules);

    /// <summary>
    /// Plans a pair's sync under <paramref name="rules"/>: a ref they leave out is neither compared
    /// nor pushed; a one-way ref is only ever pushed from its source side.
    /// </summary>
    public static SyncPlan Plan(MirrorPair pair, IEnumerable<ObservedRef> observed, MirrorRefRules rules)
    {
        var comparisons = new List<MirrorRefComparison>();
        var pushes = new List<PlannedPush>();
        var targetAhead = new List<MirrorRefComparison>();
        var leftOut = new List<string>();
        var listed = observed.Where(o => MirrorRefNames.IsMirrored(o.Ref)).OrderBy(o => o.Ref, StringComparer.Ordinal).ToList();
        var directions = new Dictionary<string, MirrorDirection?>(StringComparer.Ordinal);
        var holders = new Dictionary<string, MirrorSide>(StringComparer.Ordinal);
        foreach (var item in listed)
        {
            directions[item.Ref] = rules.DirectionOf(item.Ref);
            holders[item.Ref] = item.GitHubSha is not null ? MirrorSide.GitHub : MirrorSide.GitLab;
        }
        // Refs left out still stand in the way of others (x left out on GitLab blocks creating x/y
        // there), so conflicts are found among every listed ref, and kept where a push would hit them.
        var conflicts = RefConflicts.Find(listed);
        foreach (var item in listed)
        {
            if (directions[item.Ref] is not { } direction)
            {
                leftOut.Add(item.Ref);
                continue;
            }
            // A ref the other side cannot take is left alone, as a diverged one is: a person decides.
            var conflictsWith = conflicts.TryGetValue(item.Ref, out var others)
                ? others.Where(o => WouldCreate(item.Ref) || WouldCreate(o)).ToArray()
                : null;
            var status = conflictsWith is { Length: > 0 } ? MirrorRefStatus.Conflict : Classify(item);
            var diverged = status == MirrorRefStatus.Diverged && item.History is not null;
            var comparison = new MirrorRefComparison
            {
                Pair = pair,
                Ref = item.Ref,
                GitHubSha = item.GitHubSha,
                GitLabSha = item.GitLabSha,
                Status = status,
                Direction = direction,
                MergeBase = diverged ? item.History!.MergeBase : null,
                GitHubAheadBy = diverged ? item.History!.GitHubAheadBy : null,
                GitLabAheadBy = diverged ? item.History!.GitLabAheadBy : null,
                ConflictsWith = status == MirrorRefStatus.Conflict ? conflictsWith! : [],
            };
            comparisons.Add(comparison);
            var from = status switch
            {
                MirrorRefStatus.GitHubOnly or MirrorRefStatus.GitHubAhead => MirrorSide.GitHub,
                MirrorRefStatus.GitLabOnly or MirrorRefStatus.GitLabAhead => MirrorSide.GitLab,
                _ => (MirrorSide?)null,
            };
            if (from is not { } source) continue;
            if (!MirrorRefRules.Allows(direction, source))
            {
                // One way only: the target's own ref stays; a target that moved ahead is never pushed back.
                if (status is MirrorRefStatus.GitHubAhead or MirrorRefStatus.GitLabAhead) targetAhead.Add(comparison);
                continue;
            }
            pushes.Add(source == MirrorSide.GitHub
                ? new PlannedPush(item.Ref, MirrorSide.GitLab, item.GitLabSha, item.GitHubSha!)
                : new PlannedPush(item.Ref, MirrorSide.GitHub, item.GitHubSha, item.GitLabSha!));
        }

        var divergedRefs = comparisons.Where(c => c.Diverged).ToList();
        var halted = divergedRefs.Count > 0 && pair.OnDivergence == MirrorDivergencePolicy.HaltPair;
        return new SyncPlan
        {
            Pair = pair,
            Comparisons = comparisons,
            Pushes = halted ? [] : pushes,
            Diverged = divergedRefs,
            Halted = halted,
            TargetAhead = targetAhead,
            LeftOut = leftOut,
        };

        // Conflicts are among refs held by one side only: would the sync push this one across?
        bool WouldCreate(string refName) => MirrorRefRules.Allows(directions[refName], holders[refName]);
    }
}
