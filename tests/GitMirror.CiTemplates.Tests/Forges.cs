using System.Text;
using GitMirror.Core.Bootstrap;
using GitMirror.Testing;

namespace GitMirror.CiTemplates.Tests;

/// <summary>
/// Both forges as bare repositories (github/… and gitlab/…) behind one local smart-HTTP server,
/// which checks Basic auth against the tokens given (the CI jobs fetch their own repository with
/// it), and one local sshd, which accepts each CI's deploy key for its twin repository only (the
/// jobs push with those). Tokens and private keys are canaries: they must never show up in a job
/// log or in a URL the server saw.
/// </summary>
internal sealed class Forges : IDisposable
{
    private readonly TempDir _dir = new("gitmirror-ci");

    public Forges()
    {
        Tools.RequireSshd(); // skip (or fail under CI) before starting anything
        Root = _dir.Combine("forges");
        Directory.CreateDirectory(Root);
        GitHubBare = Path.Combine(Root, "github", "acme", "app.git");
        GitLabBare = Path.Combine(Root, "gitlab", "acme", "app.git");
        foreach (var bare in new[] { GitHubBare, GitLabBare })
        {
            Directory.CreateDirectory(bare);
            Git.Run(bare, "init", "--quiet", "--bare", "--initial-branch=main");
        }
        Server = GitHttpServer.Start(Root);
        Server.AcceptedTokens.Add(GitHubBotToken);
        Server.AcceptedTokens.Add(GitLabBotToken);
        Server.AcceptedTokens.Add(ActionsToken);
        Ssh = SshGitServer.Start(Root, _dir.Combine("sshd"));
        Ssh.SetKeys([(GitLabDeployKey.PublicKey, "gitlab/acme/app.git"), (GitHubDeployKey.PublicKey, "github/acme/app.git")]);
    }

    public SshGitServer Ssh { get; }

    /// <summary>GitHub's CI key: registered for the GitLab repository only (GitHub's GITLAB_DEPLOY_KEY).</summary>
    public DeployKeyPair GitLabDeployKey { get; } = DeployKeyPair.Generate("gitmirror");

    /// <summary>GitLab's CI key: registered for the GitHub repository only (GitLab's GITHUB_DEPLOY_KEY).</summary>
    public DeployKeyPair GitHubDeployKey { get; } = DeployKeyPair.Generate("gitmirror");

    public string GitHubSshUrl => $"{Ssh.BaseUrl}/github/acme/app.git";

    public string GitLabSshUrl => $"{Ssh.BaseUrl}/gitlab/acme/app.git";

    public string Root { get; }

    public string GitHubBare { get; }

    public string GitLabBare { get; }

    public GitHttpServer Server { get; }

    public string GitHubBotToken { get; } = $"ghp_CANARYgh{Guid.NewGuid():N}";

    public string GitLabBotToken { get; } = $"glpat-CANARYgl{Guid.NewGuid():N}";

    /// <summary>The token GitHub gives each workflow run (github.token).</summary>
    public string ActionsToken { get; } = $"ghs_CANARYrun{Guid.NewGuid():N}";

    public string Scratch(string name) => _dir.Combine(name);

    public static string? RefOrNull(string bare, string refName)
    {
        var (code, stdout, _) = Git.TryRun(bare, "rev-parse", "--verify", "--quiet", refName);
        return code == 0 ? stdout.Trim() : null;
    }

    /// <summary>No token, raw or Basic-encoded, and no private key, in any form, in the job's log or in any URL the server saw.</summary>
    public void AssertNoSecretLeaked(string log)
    {
        foreach (var key in new[] { GitLabDeployKey, GitHubDeployKey }) AssertNoKeyIn(key, log);
        foreach (var token in new[] { GitHubBotToken, GitLabBotToken, ActionsToken })
        {
            var forms = new[] { token }
                .Concat(new[] { "oauth2", "x-access-token" }.Select(user => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{token}"))));
            foreach (var form in forms)
            {
                Assert.DoesNotContain(form, log, StringComparison.Ordinal);
                Assert.DoesNotContain(Server.Requests, r => r.PathAndQuery.Contains(form, StringComparison.Ordinal));
            }
        }
    }

    /// <summary>Neither the secret's value nor any line of the PEM it decodes to.</summary>
    public static void AssertNoKeyIn(DeployKeyPair key, string text)
    {
        Assert.DoesNotContain(key.SecretValue, text, StringComparison.Ordinal);
        var pem = Encoding.ASCII.GetString(Convert.FromBase64String(key.SecretValue));
        foreach (var line in pem.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("-----", StringComparison.Ordinal)))
        {
            Assert.DoesNotContain(line, text, StringComparison.Ordinal);
        }
    }

    public void Dispose()
    {
        Ssh?.Dispose();
        Server.Dispose();
        _dir.Dispose();
    }
}
