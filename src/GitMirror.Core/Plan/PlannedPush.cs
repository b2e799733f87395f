namespace GitMirror.Core.Plan;

/// <summary>A plain (non-force) update of <paramref name="Ref"/> on <paramref name="Target"/> from <paramref name="OldSha"/> (null: create) to <paramref name="NewSha"/>.</summary>
public sealed record PlannedPush(string Ref, MirrorSide Target, string? OldSha, string NewSha)
{
    /// <summary>The side the pushed object comes from.</summary>
    public MirrorSide Source => Target == MirrorSide.GitHub ? MirrorSide.GitLab : MirrorSide.GitHub;

    public override string ToString() =>
        $"{Ref} {(OldSha is null ? "(new)" : Short(OldSha))} -> {Short(NewSha)} on {Target}";

    public static string Short(string sha) => sha.Length > 10 ? sha[..10] : sha;
}
