namespace GitMirror.Core.Plan;

/// <summary>
/// An update of <paramref name="Ref"/> on <paramref name="Target"/> from <paramref name="OldSha"/> (null: create)
/// to <paramref name="NewSha"/> (null: delete). It is leased on <paramref name="OldSha"/>: if the target no
/// longer holds that value, nothing is pushed. Plain (fast-forward) unless <see cref="Force"/>.
/// </summary>
public sealed record PlannedPush(string Ref, MirrorSide Target, string? OldSha, string? NewSha)
{
    /// <summary>The side whose copy of the object is pushed: the other side for a sync; the target itself for a repair backup.</summary>
    public MirrorSide Source { get; init; } = Target == MirrorSide.GitHub ? MirrorSide.GitLab : MirrorSide.GitHub;

    /// <summary>Replace the target's value even when it is not an ancestor (a repair the user confirmed); the lease still guards it.</summary>
    public bool Force { get; init; }

    public override string ToString() =>
        $"{Ref} {(OldSha is null ? "(new)" : Short(OldSha))} -> {(NewSha is null ? "(delete)" : Short(NewSha))} on {Target}";

    /// <summary>The first 10 hex digits of an object id, as messages show it.</summary>
    public static string Short(string sha) => sha.Length > 10 ? sha[..10] : sha;

    /// <summary><see cref="Short(string)"/>, or <paramref name="absent"/> ("absent", "no ref") for a ref that is not there.</summary>
    public static string Short(string? sha, string absent) => sha is null ? absent : Short(sha);
}
