using GitMirror.Core.Forges.GitLab;

namespace GitMirror.Core.Bootstrap;

/// <summary>
/// The names and values the CI templates read (ci-templates/*.yml): each platform gets the private
/// half of a write deploy key for its twin as a secret, the twin's repository, base URL and SSH URL,
/// and its own bot's name for the loop filter. The bots' tokens are never stored in CI.
/// </summary>
public static class MirrorCiVariables
{
    /// <summary>GitHub Actions secret: the private key of the deploy key registered on the GitLab twin.</summary>
    public const string GitHubSecretName = "GITLAB_DEPLOY_KEY";

    /// <summary>GitLab CI/CD variable (masked and hidden): the private key of the deploy key registered on the GitHub twin.</summary>
    public const string GitLabKeyVariable = "GITHUB_DEPLOY_KEY";

    /// <summary>What the first release stored instead (the bots' whole tokens); bootstrap deletes them.</summary>
    public const string LegacyGitHubTokenSecret = "GITLAB_TOKEN";

    /// <inheritdoc cref="LegacyGitHubTokenSecret"/>
    public const string LegacyGitLabTokenVariable = "GITHUB_TOKEN";

    public const string BotUser = "MIRROR_BOT_USER";

    /// <summary>The pair's ref rules as the CI job of one side reads them (<see cref="RefRulesFor"/>).</summary>
    public const string RefRules = "MIRROR_REF_RULES";

    /// <summary>Optional, set by the operator on either side: known_hosts lines for SSH hosts other than github.com and gitlab.com.</summary>
    public const string KnownHosts = "MIRROR_SSH_KNOWN_HOSTS";

    /// <summary>Deploy key titles start with this; what follows names the CI that holds the private half.</summary>
    public const string DeployKeyTitlePrefix = "gitmirror CI push from ";

    /// <summary>The title prefix of the deploy key on <paramref name="twin"/> whose private half the other side's CI holds.</summary>
    public static string DeployKeyTitle(MirrorPair pair, MirrorSide twin) =>
        DeployKeyTitlePrefix + (twin == MirrorSide.GitHub ? $"GitLab {pair.GitLab}" : $"GitHub {pair.GitHub}");

    /// <summary>GitHub Actions variables: GITLAB_REPO, GITLAB_URL, GITLAB_SSH_URL, MIRROR_BOT_USER, MIRROR_REF_RULES.</summary>
    public static IReadOnlyList<(string Name, string Value)> ForGitHub(MirrorPair pair, string gitHubBotUser, string? gitLabSshUrl = null) =>
    [
        ("GITLAB_REPO", pair.GitLab),
        ("GITLAB_URL", BaseUrl(pair.GitLabUrl, pair.GitLab)),
        ("GITLAB_SSH_URL", gitLabSshUrl ?? DefaultSshUrl(pair.GitLabUrl, pair.GitLab)),
        (BotUser, gitHubBotUser),
        (RefRules, RefRulesFor(pair.RefRules, MirrorSide.GitHub)),
    ];

    /// <summary>GitLab CI/CD variables besides the key: GITHUB_REPO, GITHUB_URL, GITHUB_SSH_URL, MIRROR_BOT_USER, MIRROR_REF_RULES.</summary>
    public static IReadOnlyList<(string Name, string Value)> ForGitLab(MirrorPair pair, string gitLabBotUser, string? gitHubSshUrl = null) =>
    [
        ("GITHUB_REPO", pair.GitHub),
        ("GITHUB_URL", BaseUrl(pair.GitHubUrl, pair.GitHub)),
        ("GITHUB_SSH_URL", gitHubSshUrl ?? DefaultSshUrl(pair.GitHubUrl, pair.GitHub)),
        (BotUser, gitLabBotUser),
        (RefRules, RefRulesFor(pair.RefRules, MirrorSide.GitLab)),
    ];

    /// <summary>
    /// The ref rules for the CI job on <paramref name="side"/>, which pushes to its twin: one line per
    /// rule in config order, <c>ALLOW &lt;kind&gt; &lt;glob&gt;</c> where the rule lets that side push,
    /// <c>DENY &lt;kind&gt; &lt;glob&gt;</c> otherwise; the first line that matches a ref decides, and a
    /// ref no line matches is not pushed. Without rules, one line that allows everything (the
    /// variable is never left empty: a forge may refuse an empty value, and an old value must go).
    /// </summary>
    public static string RefRulesFor(MirrorRefRules rules, MirrorSide side) =>
        rules.IsEverything
            ? "ALLOW any **"
            : string.Join("\n", rules.Select(r => $"{(r.LetsPush(side) ? "ALLOW" : "DENY")} {r.KindName} {r.Match}"));

    /// <summary>
    /// The GitLab variable holding the GitHub deploy key's private half: masked and hidden; protected
    /// only when asked (it then reaches only pipelines of protected refs); raw (no $ expansion).
    /// </summary>
    public static GitLabVariable GitLabDeployKey(DeployKeyPair key, bool protect) =>
        new(GitLabKeyVariable, key.SecretValue, Masked: true, Protected: protect, Raw: true, Hidden: true);

    /// <summary>
    /// <c>git@HOST:path.git</c> for a forge whose API did not say (the repository does not exist yet):
    /// what github.com and gitlab.com answer for ssh_url / ssh_url_to_repo.
    /// </summary>
    public static string DefaultSshUrl(string cloneUrl, string path) =>
        Uri.TryCreate(cloneUrl, UriKind.Absolute, out var uri) && uri.Host.Length > 0 ? $"git@{uri.Host}:{path}.git" : $"git@localhost:{path}.git";

    /// <summary>
    /// The host of an SSH URL (<c>git@host:path</c> or <c>ssh://user@host:port/path</c>), with
    /// <c>[host]:port</c> for a port other than 22 as known_hosts writes it; null when it is not one.
    /// </summary>
    public static string? SshHost(string sshUrl)
    {
        if (sshUrl.StartsWith("ssh://", StringComparison.OrdinalIgnoreCase))
        {
            return Uri.TryCreate(sshUrl, UriKind.Absolute, out var uri) && uri.Host.Length > 0
                ? uri.Port is > 0 and not 22 ? $"[{uri.Host}]:{uri.Port}" : uri.Host
                : null;
        }
        var at = sshUrl.IndexOf('@');
        var colon = sshUrl.IndexOf(':', at + 1);
        return colon > at + 1 ? sshUrl[(at + 1)..colon] : null;
    }

    /// <summary>Whether the CI templates carry the published host keys of this SSH host.</summary>
    public static bool HasPinnedHostKeys(string sshHost) => sshHost is "github.com" or "gitlab.com";

    /// <summary>The forge's git base URL: the clone URL without "/&lt;path&gt;.git".</summary>
    public static string BaseUrl(string cloneUrl, string path)
    {
        var suffix = "/" + path + ".git";
        return cloneUrl.EndsWith(suffix, StringComparison.Ordinal) ? cloneUrl[..^suffix.Length] : cloneUrl;
    }
}
