namespace GitMirror.Core.Config;

/// <summary>Where one forge lives and which environment variable holds its bot's token.</summary>
public sealed record ForgeSettings(string Url, string Api, string TokenEnv)
{
    /// <summary>GitHub refuses a push over 2 GB; GitMirror splits bigger ones (maxPushSize in a forge section).</summary>
    public const long DefaultMaxPushBytes = 2L << 30;

    /// <summary>The largest push this forge accepts: bigger histories go out in several pushes.</summary>
    public long MaxPushBytes { get; init; } = DefaultMaxPushBytes;

    /// <summary>repos.yaml's allowInsecureHttp: plain http:// to a host that is not loopback is accepted (with a warning on every run).</summary>
    public bool AllowInsecureHttp { get; init; }

    /// <summary>github.app: the GitHub App that authenticates this forge instead of the token in <see cref="TokenEnv"/>.</summary>
    public MirrorGitHubApp? App { get; init; }

    /// <summary>The warnings every run repeats while this section sends its token over plain http to a remote host.</summary>
    public IEnumerable<string> Warnings(string section)
    {
        if (!AllowInsecureHttp) yield break;
        foreach (var (key, value) in new[] { ("url", Url), ("api", Api) })
        {
            if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp && !Transport.HttpOrigin.IsLoopback(uri))
            {
                yield return $"{section}.{key} '{value}' is plain http with allowInsecureHttp: true: the {section} token travels in clear text to {uri.Host}.";
            }
        }
    }

    public static ForgeSettings GitHubDefault { get; } = new("https://github.com", "https://api.github.com", "GITHUB_TOKEN");

    public static ForgeSettings GitLabDefault { get; } = new("https://gitlab.com", "https://gitlab.com/api/v4", "GITLAB_TOKEN");
}

/// <summary>A loaded, validated repos.yaml.</summary>
public sealed record MirrorConfig
{
    /// <summary>What every run must say about this config (plain http allowed by allowInsecureHttp).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    public required string ConfigPath { get; init; }
    public required ForgeSettings GitHub { get; init; }
    public required ForgeSettings GitLab { get; init; }
    public required string CachePath { get; init; }
    public MirrorDivergencePolicy OnDivergence { get; init; }
    public required IReadOnlyList<MirrorPair> Pairs { get; init; }

    public const string DefaultWebhookSecretEnv = "GITMIRROR_WEBHOOK_SECRET";

    /// <summary>The environment variable holding the webhook secret of `gitmirror serve` (top-level <c>webhookSecretEnv:</c>).</summary>
    public string WebhookSecretEnv { get; init; } = DefaultWebhookSecretEnv;

    /// <summary>The top-level <c>refs:</c> rules, the default of every pair that has none of its own.</summary>
    public MirrorRefRules RefRules { get; init; } = MirrorRefRules.Everything;

    /// <summary>The top-level <c>lfs:</c> (default true), which organisation pairs take.</summary>
    public bool Lfs { get; init; } = true;

    /// <summary>The <c>organizations:</c> rules; their pairs are not in <see cref="Pairs"/> until expanded (OrganizationExpander).</summary>
    public IReadOnlyList<OrganizationRule> Organizations { get; init; } = [];

    /// <summary>How long a cached organisation listing is used without asking the forge (<c>organizationRefreshMinutes</c>).</summary>
    public TimeSpan OrganizationRefresh { get; init; } = TimeSpan.FromMinutes(ConfigLoader.DefaultOrganizationRefreshMinutes);

    /// <summary>Who is told when a pair halts, fails or recovers, and whether issues are opened.</summary>
    public NotifySettings Notify { get; init; } = NotifySettings.None;
}
