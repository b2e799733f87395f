namespace GitMirror;

/// <summary>One rule of a repos.yaml <c>refs:</c> list: which refs it matches and which way they go.</summary>
public sealed class MirrorRefRule
{
    /// <summary>The glob on the short name (<see cref="MirrorRefGlob"/>).</summary>
    public required string Match { get; init; }

    /// <summary>Branch or Tag; null matches both (YAML <c>any</c>).</summary>
    public MirrorRefKind? Kind { get; init; }

    /// <summary>Which way the matched refs go; null: they are not mirrored at all (YAML <c>none</c>).</summary>
    public MirrorDirection? Direction { get; init; }

    /// <summary>The config line the rule is on (0 when not from a file).</summary>
    public int Line { get; init; }

    /// <summary>True when this rule matches the full ref name (<c>refs/heads/main</c>).</summary>
    public bool Matches(string refName) =>
        (Kind is null || Kind == MirrorRefNames.KindOf(refName)) && MirrorRefGlob.IsMatch(Match, MirrorRefNames.ShortName(refName));

    /// <summary>True when the rule lets <paramref name="from"/> push the refs it matches to the other side.</summary>
    public bool LetsPush(MirrorSide from) => MirrorRefRules.Allows(Direction, from);

    /// <summary>The YAML words of <see cref="Kind"/>: branch, tag or any.</summary>
    public string KindName => Kind switch { MirrorRefKind.Branch => "branch", MirrorRefKind.Tag => "tag", _ => "any" };

    /// <summary>The YAML words of <see cref="Direction"/>: both, github-to-gitlab, gitlab-to-github or none.</summary>
    public string DirectionName => MirrorRefRules.DirectionName(Direction);

    public override string ToString() => $"{Match} ({KindName}, {DirectionName})";
}
