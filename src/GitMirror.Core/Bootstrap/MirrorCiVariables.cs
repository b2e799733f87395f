using System.Text.RegularExpressions;
using GitMirror.Core.Forges.GitLab;

namespace GitMirror.Core.Bootstrap;

/// <summary>
/// The names and values the CI templates read (ci-templates/*.yml): each platform gets the other's
/// token as a secret, the other's repository and base URL, and its own bot's name for the loop filter.
/// </summary>
public static partial class MirrorCiVariables
{
    /// <summary>GitHub Actions secret: the GitLab bot's token.</summary>
    public const string GitHubSecretName = "GITLAB_TOKEN";

    /// <summary>GitLab CI/CD variable (masked): the GitHub bot's token.</summary>
    public const string GitLabTokenVariable = "GITHUB_TOKEN";

    public const string BotUser = "MIRROR_BOT_USER";

    /// <summary>GitHub Actions variables: GITLAB_REPO, GITLAB_URL, MIRROR_BOT_USER.</summary>
    public static IReadOnlyList<(string Name, string Value)> ForGitHub(MirrorPair pair, string gitHubBotUser) =>
    [
        ("GITLAB_REPO", pair.GitLab),
        ("GITLAB_URL", BaseUrl(pair.GitLabUrl, pair.GitLab)),
        (BotUser, gitHubBotUser),
    ];

    /// <summary>GitLab CI/CD variables besides the token: GITHUB_REPO, GITHUB_URL, MIRROR_BOT_USER.</summary>
    public static IReadOnlyList<(string Name, string Value)> ForGitLab(MirrorPair pair, string gitLabBotUser) =>
    [
        ("GITHUB_REPO", pair.GitHub),
        ("GITHUB_URL", BaseUrl(pair.GitHubUrl, pair.GitHub)),
        (BotUser, gitLabBotUser),
    ];

    /// <summary>The GitLab variable holding the GitHub token: masked; protected only when asked; raw (no $ expansion).</summary>
    public static GitLabVariable GitLabToken(string gitHubToken, bool protect) =>
        new(GitLabTokenVariable, gitHubToken, Masked: true, Protected: protect, Raw: true, Hidden: true);

    /// <summary>
    /// GitLab's rule for masked values: one line, at least 8 characters, only
    /// <c>A-Z a-z 0-9 _ + = / @ : . ~ -</c>.
    /// </summary>
    public const string MaskingRule = "one line of at least 8 characters from A-Z a-z 0-9 and _ + = / @ : . ~ -";

    public static bool IsMaskable(string value) => Maskable().IsMatch(value);

    /// <summary>The forge's git base URL: the clone URL without "/&lt;path&gt;.git".</summary>
    public static string BaseUrl(string cloneUrl, string path)
    {
        var suffix = "/" + path + ".git";
        return cloneUrl.EndsWith(suffix, StringComparison.Ordinal) ? cloneUrl[..^suffix.Length] : cloneUrl;
    }

    [GeneratedRegex(@"^[A-Za-z0-9_+=/@:.~-]{8,}\z")]
    private static partial Regex Maskable();
}
