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

    public static SyncPlan Plan(MirrorPair pair, IEnumerable<ObservedRef> observed)
    {
        var comparisons = new List<MirrorRefComparison>();
        var pushes = new List<PlannedPush>();
        var mirrored = observed.Where(o => MirrorRefNames.IsMirrored(o.Ref)).OrderBy(o => o.Ref, StringComparer.Ordinal).ToList();
        var conflicts = RefConflicts.Find(mirrored);
        foreach (var item in mirrored)
        {
            // A ref the other side cannot take is left alone, as a diverged one is: a person decides.
            var conflictsWith = conflicts.GetValueOrDefault(item.Ref);
            var status = conflictsWith is null ? Classify(item) : MirrorRefStatus.Conflict;
            var diverged = status == MirrorRefStatus.Diverged && item.History is not null;
            comparisons.Add(new MirrorRefComparison
            {
                Pair = pair,
                Ref = item.Ref,
                GitHubSha = item.GitHubSha,
                GitLabSha = item.GitLabSha,
                Status = status,
                MergeBase = diverged ? item.History!.MergeBase : null,
                GitHubAheadBy = diverged ? item.History!.GitHubAheadBy : null,
                GitLabAheadBy = diverged ? item.History!.GitLabAheadBy : null,
                ConflictsWith = conflictsWith ?? [],
            });
            switch (status)
            {
                case MirrorRefStatus.GitHubOnly:
                case MirrorRefStatus.GitHubAhead:
                    pushes.Add(new PlannedPush(item.Ref, MirrorSide.GitLab, item.GitLabSha, item.GitHubSha!));
                    break;
                case MirrorRefStatus.GitLabOnly:
                case MirrorRefStatus.GitLabAhead:
                    pushes.Add(new PlannedPush(item.Ref, MirrorSide.GitHub, item.GitHubSha, item.GitLabSha!));
                    break;
            }
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
        };
    }
}
