namespace GitMirror.Core.Plan;

/// <summary>What a sync says about refs its one-way rules hold back.</summary>
public static class RefRuleMessages
{
    /// <summary>The warning for a one-way ref whose receiving side moved ahead of its source.</summary>
    public static string TargetAhead(MirrorRefComparison ahead)
    {
        var (source, target) = ahead.Direction == MirrorDirection.GitLabToGitHub
            ? (MirrorSide.GitLab, MirrorSide.GitHub)
            : (MirrorSide.GitHub, MirrorSide.GitLab);
        return $"[{ahead.PairName}] {ahead.Ref} is ahead on {target} ({PlannedPush.Short(ahead.ShaOf(target), "absent")}) of {source} "
            + $"({PlannedPush.Short(ahead.ShaOf(source), "absent")}), but the ref rules mirror it from {source} to {target} only: "
            + $"not pushed back. Push those commits to {source} if they belong there; the sync never moves {target}'s ref back "
            + $"(once {source} moves on too, the ref is Diverged and Repair-MirrorDivergence decides).";
    }
}
