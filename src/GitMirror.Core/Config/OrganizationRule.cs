namespace GitMirror.Core.Config;

/// <summary>
/// One entry of repos.yaml's <c>organizations:</c>: every repository directly in a GitHub
/// organisation (or user account) paired with the project of the same path directly in a GitLab
/// group, expanded into pairs at every run.
/// </summary>
public sealed record OrganizationRule
{
    /// <summary>The GitHub organisation or user name; also the expanded pairs' <see cref="MirrorPair.Organization"/>.</summary>
    public required string GitHub { get; init; }

    /// <summary>The GitLab group's full path (group[/subgroup…]).</summary>
    public required string GitLab { get; init; }

    /// <summary>Globs on the repository name (<c>*</c> within the name); a repository must match one. Default: all.</summary>
    public IReadOnlyList<string> Include { get; init; } = ["*"];

    /// <summary>Globs on the repository name; a repository that matches one is left out.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>The expanded pairs' policy: the entry's own, else the file's top-level one.</summary>
    public MirrorDivergencePolicy OnDivergence { get; init; }

    /// <summary>The expanded pairs' ref rules: the entry's own <c>refs:</c>, else the file's top-level ones.</summary>
    public MirrorRefRules RefRules { get; init; } = MirrorRefRules.Everything;

    /// <summary>The line of the entry in the config file, for messages.</summary>
    public int Line { get; init; }

    /// <summary>Whether a repository name passes the include and exclude globs.</summary>
    public bool Selects(string name) =>
        Include.Any(g => Organizations.NameGlob.IsMatch(g, name)) && !Exclude.Any(g => Organizations.NameGlob.IsMatch(g, name));

    public override string ToString() => $"{GitHub} <-> {GitLab}";
}
