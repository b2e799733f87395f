using GitMirror.Core.Config;
using Xunit;

namespace GitMirror.Core.Tests.Credentials;

/// <summary>github.app in repos.yaml: read into every pair, and every mistake named with file:line and key.</summary>
public class GitHubAppConfigTests
{
    private const string File = "/cfg/repos.yaml";
    private const string Repos = "repos:\n  - github: a/b\n    gitlab: c/d\n";

    [Fact]
    public void The_app_is_read_and_no_token_variable_is_needed()
    {
        var config = ConfigLoader.Parse("github:\n  app:\n    id: 123456\n    privateKeyEnv: GITHUB_APP_PRIVATE_KEY\n    installationId: 7890\n" + Repos, File);

        var app = Assert.IsType<MirrorGitHubApp>(config.GitHub.App);
        Assert.Equal(123456, app.Id);
        Assert.Equal("GITHUB_APP_PRIVATE_KEY", app.PrivateKeyEnv);
        Assert.Equal(7890, app.InstallationId);
        Assert.Same(app, config.Pairs[0].GitHubApp);

        var found = ConfigLoader.Parse("github:\n  app:\n    id: 5\n    privateKeyEnv: K\n" + Repos, File);
        Assert.Null(found.Pairs[0].GitHubApp!.InstallationId);
        Assert.Null(ConfigLoader.Parse(Repos, File).Pairs[0].GitHubApp);
    }

    [Theory]
    [InlineData("github:\n  app:\n    privateKeyEnv: K\n", 3, "github.app.id", "missing")]
    [InlineData("github:\n  app:\n    id: 5\n", 3, "github.app.privateKeyEnv", "missing")]
    [InlineData("github:\n  app:\n    id: abc\n    privateKeyEnv: K\n", 3, "github.app.id", "not a number")]
    [InlineData("github:\n  app:\n    id: -4\n    privateKeyEnv: K\n", 3, "github.app.id", "not a number")]
    [InlineData("github:\n  app:\n    id: 5\n    privateKeyEnv: K\n    installationId: x\n", 5, "github.app.installationId", "not a number")]
    [InlineData("github:\n  app:\n    id: 5\n    privateKeyEnv: '-----BEGIN RSA PRIVATE KEY----- MIIEsecret'\n", 4, "github.app.privateKeyEnv", "not an environment variable name")]
    [InlineData("github:\n  app:\n    id: 5\n    privateKeyEnv: K\n    clientSecret: x\n", 5, "github.app.clientSecret", "unknown key")]
    [InlineData("github:\n  app: 5\n", 2, "github.app", "must be a mapping")]
    [InlineData("gitlab:\n  app:\n    id: 5\n    privateKeyEnv: K\n", 3, "gitlab.app", "only the github section")]
    public void Mistakes_name_file_line_and_key(string yaml, int line, string key, string problem)
    {
        var e = Assert.Throws<MirrorConfigException>(() => ConfigLoader.Parse(yaml + Repos, File));

        Assert.Equal(line, e.Line);
        Assert.Equal(key, e.Key);
        Assert.Contains(problem, e.Message);
        Assert.StartsWith($"{File}:{line}:", e.Message);
        Assert.DoesNotContain("secret", e.Message);
    }
}
