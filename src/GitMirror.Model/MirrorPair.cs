namespace GitMirror;

/// <summary>A GitHub repository and a GitLab project kept mirrored, as read from repos.yaml.</summary>
public sealed class MirrorPair
{
    public required string Name { get; init; }

    /// <summary>Path on GitHub (owner/name).</summary>
    public required string GitHub { get; init; }

    /// <summary>Path on GitLab (group[/subgroup…]/name).</summary>
    public required string GitLab { get; init; }

    /// <summary>Clone URL of the GitHub side; never holds credentials.</summary>
    public required string GitHubUrl { get; init; }

    /// <summary>Clone URL of the GitLab side; never holds credentials.</summary>
    public required string GitLabUrl { get; init; }

    public MirrorDivergencePolicy OnDivergence { get; init; }

    /// <summary>Full path of the repos.yaml the pair came from.</summary>
    public required string ConfigPath { get; init; }

    /// <summary>The GitHub REST API base (https://api.github.com, or GHE's https://HOST/api/v3).</summary>
    public string GitHubApi { get; init; } = "https://api.github.com";

    /// <summary>The GitLab REST API base (https://gitlab.com/api/v4).</summary>
    public string GitLabApi { get; init; } = "https://gitlab.com/api/v4";

    /// <summary>Name of the environment variable that holds the GitHub bot's token.</summary>
    public string GitHubTokenEnv { get; init; } = "GITHUB_TOKEN";

    /// <summary>The GitHub App that authenticates the GitHub side instead of the token in <see cref="GitHubTokenEnv"/>; null: the token.</summary>
    public MirrorGitHubApp? GitHubApp { get; init; }

    /// <summary>Name of the environment variable that holds the GitLab bot's token.</summary>
    public string GitLabTokenEnv { get; init; } = "GITLAB_TOKEN";

    /// <summary>The largest push GitHub accepts (maxPushSize; GitHub refuses pushes over 2 GB): bigger ones are split.</summary>
    public long GitHubMaxPushBytes { get; init; } = 2L << 30;

    /// <summary>The largest push GitLab accepts (maxPushSize): bigger ones are split.</summary>
    public long GitLabMaxPushBytes { get; init; } = 2L << 30;

    /// <summary>Mirror Git LFS objects with the refs (repos.yaml <c>lfs:</c>, default true).</summary>
    public bool Lfs { get; init; } = true;

    /// <summary>
    /// Which refs are mirrored and which way: the pair's own <c>refs:</c>, else the top-level one,
    /// else every branch and tag both ways.
    /// </summary>
    public MirrorRefRules RefRules { get; init; } = MirrorRefRules.Everything;

    /// <summary>The cache directory (bare repositories, status and lock files).</summary>
    public required string CachePath { get; init; }

    /// <summary>
    /// The organisation rule's GitHub organisation (or user) this pair was expanded from
    /// (repos.yaml <c>organizations:</c>); null for a pair listed under <c>repos:</c>.
    /// </summary>
    public string? Organization { get; init; }

    /// <summary>
    /// For a pair expanded from an organisation: the side whose listing lacks the repository (its
    /// twin is not created yet; Sync-MirrorPair skips the pair, Initialize-MirrorBootstrap creates
    /// it). Null when both sides list it, and for pairs under <c>repos:</c>.
    /// </summary>
    public MirrorSide? MissingOn { get; init; }

    /// <summary>The path of one side.</summary>
    public string PathOf(MirrorSide side) => side == MirrorSide.GitHub ? GitHub : GitLab;

    /// <summary>The clone URL of one side.</summary>
    public string UrlOf(MirrorSide side) => side == MirrorSide.GitHub ? GitHubUrl : GitLabUrl;

    public long MaxPushBytesOf(MirrorSide side) => side == MirrorSide.GitHub ? GitHubMaxPushBytes : GitLabMaxPushBytes;

    public override string ToString() => Name;
}
