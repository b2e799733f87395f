using System.Collections;

namespace GitMirror;

/// <summary>
/// A pair's ref rules, in config order: the first rule that matches a ref decides its direction; a
/// ref that no rule matches, or whose rule says <c>none</c>, is not mirrored. Immutable.
/// <see cref="Everything"/> (no <c>refs:</c> anywhere) mirrors every branch and tag both ways.
/// </summary>
public sealed class MirrorRefRules : IReadOnlyList<MirrorRefRule>
{
    private readonly MirrorRefRule[] _rules;

    public MirrorRefRules(IEnumerable<MirrorRefRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        _rules = [.. rules];
    }

    private MirrorRefRules()
    {
        _rules = [];
        IsEverything = true;
    }

    /// <summary>No rules configured: every branch and tag, both ways.</summary>
    public static MirrorRefRules Everything { get; } = new();

    /// <summary>True for <see cref="Everything"/>: no <c>refs:</c> was given.</summary>
    public bool IsEverything { get; }

    public int Count => _rules.Length;

    public MirrorRefRule this[int index] => _rules[index];

    /// <summary>The first rule matching the full ref name; null when none does (or for <see cref="Everything"/>).</summary>
    public MirrorRefRule? RuleFor(string refName)
    {
        foreach (var rule in _rules)
        {
            if (rule.Matches(refName)) return rule;
        }
        return null;
    }

    /// <summary>Which way the ref is mirrored; null when it is not mirrored at all.</summary>
    public MirrorDirection? DirectionOf(string refName) => IsEverything ? MirrorDirection.Both : RuleFor(refName)?.Direction;

    /// <summary>True when the ref is mirrored in some direction.</summary>
    public bool Includes(string refName) => DirectionOf(refName) is not null;

    /// <summary>True when a ref with this direction may be pushed from <paramref name="from"/> to the other side.</summary>
    public static bool Allows(MirrorDirection? direction, MirrorSide from) => direction switch
    {
        MirrorDirection.Both => true,
        MirrorDirection.GitHubToGitLab => from == MirrorSide.GitHub,
        MirrorDirection.GitLabToGitHub => from == MirrorSide.GitLab,
        _ => false,
    };

    /// <summary>The YAML words of a direction: both, github-to-gitlab, gitlab-to-github, or none for null.</summary>
    public static string DirectionName(MirrorDirection? direction) => direction switch
    {
        MirrorDirection.Both => "both",
        MirrorDirection.GitHubToGitLab => "github-to-gitlab",
        MirrorDirection.GitLabToGitHub => "gitlab-to-github",
        _ => "none",
    };

    public IEnumerator<MirrorRefRule> GetEnumerator() => ((IEnumerable<MirrorRefRule>)_rules).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _rules.GetEnumerator();

    public override string ToString() => IsEverything ? "every ref, both ways" : string.Join("; ", _rules.Select(r => r.ToString()));
}
