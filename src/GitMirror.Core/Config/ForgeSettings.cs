namespace GitMirror.Core.Config;

/// <summary>Where one forge lives and which environment variable holds its bot's token.</summary>
public sealed record ForgeSettings(string Url, string Api, string TokenEnv)
{
    public static ForgeSettings GitHubDefault { get; } = new("https://github.com", "https://api.github.com", "GITHUB_TOKEN");

    public static ForgeSettings GitLabDefault { get; } = new("https://gitlab.com", "https://gitlab.com/api/v4", "GITLAB_TOKEN");
}

/// <summary>A loaded, validated repos.yaml.</summary>
public sealed class MirrorConfig
{
    public required string ConfigPath { get; init; }
    public required ForgeSettings GitHub { get; init; }
    public required ForgeSettings GitLab { get; init; }
    public required string CachePath { get; init; }
    public MirrorDivergencePolicy OnDivergence { get; init; }
    public required IReadOnlyList<MirrorPair> Pairs { get; init; }

    public const string DefaultWebhookSecretEnv = "GITMIRROR_WEBHOOK_SECRET";

    /// <summary>The environment variable holding the webhook secret of `gitmirror serve` (top-level <c>webhookSecretEnv:</c>).</summary>
    public string WebhookSecretEnv { get; init; } = DefaultWebhookSecretEnv;
}
