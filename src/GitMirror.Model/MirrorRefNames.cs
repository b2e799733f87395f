namespace GitMirror;

/// <summary>Names of the refs GitMirror mirrors: <c>refs/heads/*</c> and <c>refs/tags/*</c>.</summary>
public static class MirrorRefNames
{
    public const string BranchPrefix = "refs/heads/";
    public const string TagPrefix = "refs/tags/";

    /// <summary>
    /// True for the refs that are mirrored. A branch literally named HEAD is not (GitLab refuses it),
    /// nor a peeled-tag entry of an advertisement (refs/tags/v1^{}).
    /// </summary>
    public static bool IsMirrored(string refName)
    {
        if (refName.EndsWith("^{}", StringComparison.Ordinal)) return false;
        if (refName.StartsWith(BranchPrefix, StringComparison.Ordinal))
        {
            return refName.Length > BranchPrefix.Length && refName != BranchPrefix + "HEAD";
        }
        return refName.StartsWith(TagPrefix, StringComparison.Ordinal) && refName.Length > TagPrefix.Length;
    }

    public static MirrorRefKind KindOf(string refName) =>
        refName.StartsWith(TagPrefix, StringComparison.Ordinal) ? MirrorRefKind.Tag : MirrorRefKind.Branch;

    public static string ShortName(string refName) =>
        refName.StartsWith(BranchPrefix, StringComparison.Ordinal) ? refName[BranchPrefix.Length..]
        : refName.StartsWith(TagPrefix, StringComparison.Ordinal) ? refName[TagPrefix.Length..]
        : refName;
}
