using System.Text;
using GitMirror.Testing;

namespace GitMirror.CiTemplates.Tests;

/// <summary>
/// Both forges as bare repositories behind one local smart-HTTP server (github/… and gitlab/…),
/// which checks Basic auth against the tokens given. Tokens are canaries: unique strings that
/// must never show up in a job log or in a URL the server saw.
/// </summary>
internal sealed class Forges : IDisposable
{
    private readonly TempDir _dir = new("gitmirror-ci");

    public Forges()
    {
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
    }

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

    /// <summary>No token, raw or Basic-encoded, in the job's log or in any URL the server saw.</summary>
    public void AssertNoSecretLeaked(string log)
    {
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

    public void Dispose()
    {
        Server.Dispose();
        _dir.Dispose();
    }
}
