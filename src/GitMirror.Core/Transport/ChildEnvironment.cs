using System.Collections.Concurrent;
using GitMirror.Core.Config;

namespace GitMirror.Core.Transport;

/// <summary>
/// The variables no git child process may inherit: every secret the process can hold. Another
/// process of the same user can read a child's /proc/PID/environ, and git needs none of them (a
/// transfer gets its one origin's header through GitMirror's own settings). The names come from
/// each loaded config (its tokenEnv and webhookSecretEnv) and from the well-known defaults; any
/// name that says it holds a secret (TOKEN, SECRET, PASSWORD, PRIVATE_KEY…) is withheld too.
/// </summary>
public static class ChildEnvironment
{
    private static readonly ConcurrentDictionary<string, byte> Withheld = new(StringComparer.OrdinalIgnoreCase)
    {
        ["GITHUB_TOKEN"] = 0,
        ["GITLAB_TOKEN"] = 0,
        ["GH_TOKEN"] = 0,
        [MirrorConfig.DefaultWebhookSecretEnv] = 0,
        ["GITMIRROR_STATUS_TOKEN"] = 0,
    };

    private static readonly string[] SecretWords = ["TOKEN", "SECRET", "PASSWORD", "PASSWD", "PRIVATE_KEY", "PRIVATEKEY", "API_KEY", "APIKEY", "CREDENTIAL"];

    /// <summary>Withholds the variables a config names for secrets (both forges' tokenEnv, webhookSecretEnv).</summary>
    public static void WithholdSecretsOf(MirrorConfig config)
    {
        Withhold([config.GitHub.TokenEnv, config.GitLab.TokenEnv, config.WebhookSecretEnv,
            .. config.Pairs.SelectMany(p => new[] { p.GitHubTokenEnv, p.GitLabTokenEnv })]);
    }

    public static void Withhold(IEnumerable<string?> names)
    {
        foreach (var name in names)
        {
            if (!string.IsNullOrWhiteSpace(name)) Withheld.TryAdd(name.Trim(), 0);
        }
    }

    /// <summary>Whether a child must not see <paramref name="name"/>.</summary>
    public static bool IsWithheld(string name) =>
        Withheld.ContainsKey(name) || SecretWords.Any(w => name.Contains(w, StringComparison.OrdinalIgnoreCase));

    /// <summary>Removes every withheld variable from a child's environment.</summary>
    public static void Strip(IDictionary<string, string?> environment)
    {
        foreach (var name in environment.Keys.Where(IsWithheld).ToList()) environment.Remove(name);
    }
}
