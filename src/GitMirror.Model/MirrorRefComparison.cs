namespace GitMirror;

/// <summary>How one branch or tag of a pair compares between GitHub and GitLab.</summary>
public sealed class MirrorRefComparison
{
    public required MirrorPair Pair { get; init; }

    public string PairName => Pair.Name;

    /// <summary>Full ref name, e.g. <c>refs/heads/main</c>.</summary>
    public required string Ref { get; init; }

    /// <summary>Short name, e.g. <c>main</c> or <c>v1.0</c>.</summary>
    public string Name => MirrorRefNames.ShortName(Ref);

    public MirrorRefKind Kind => MirrorRefNames.KindOf(Ref);

    /// <summary>Which way the ref is mirrored, by the pair's ref rules (Both without any).</summary>
    public MirrorDirection Direction { get; init; }

    /// <summary>Object id on GitHub; null when the ref is absent there.</summary>
    public string? GitHubSha { get; init; }

    /// <summary>Object id on GitLab; null when the ref is absent there.</summary>
    public string? GitLabSha { get; init; }

    public MirrorRefStatus Status { get; init; }

    /// <summary>True when the sync will not mirror the ref by itself: Diverged or Conflict. A person repairs it.</summary>
    public bool Diverged => Status is MirrorRefStatus.Diverged or MirrorRefStatus.Conflict;

    /// <summary>For a Conflict: the refs on the other side that stand in its way (full names); empty otherwise.</summary>
    public string[] ConflictsWith { get; init; } = [];

    /// <summary>For a diverged branch: the newest common commit, when there is one.</summary>
    public string? MergeBase { get; init; }

    /// <summary>For a diverged branch: commits on GitHub beyond the merge base.</summary>
    public int? GitHubAheadBy { get; init; }

    /// <summary>For a diverged branch: commits on GitLab beyond the merge base.</summary>
    public int? GitLabAheadBy { get; init; }

    private MirrorLfsObject[] _lfsMissing = [];

    /// <summary>
    /// Git LFS objects that the files of this ref's tip point to and that the side holding the ref
    /// lacks (a checkout there fails); empty when none are missing or the pair does not use LFS.
    /// </summary>
    public MirrorLfsObject[] LfsMissing
    {
        get => _lfsMissing;
        init => _lfsMissing = value ?? [];
    }

    /// <summary>A copy of this comparison that reports <paramref name="missing"/> LFS objects.</summary>
    public MirrorRefComparison WithLfsMissing(IEnumerable<MirrorLfsObject> missing)
    {
        // A member-wise copy keeps every other property as it is, including any added later.
        var copy = (MirrorRefComparison)MemberwiseClone();
        copy._lfsMissing = [.. missing];
        return copy;
    }

    /// <summary>The object id on one side.</summary>
    public string? ShaOf(MirrorSide side) => side == MirrorSide.GitHub ? GitHubSha : GitLabSha;

    public override string ToString() => $"{PairName} {Ref} {Status}";
}
