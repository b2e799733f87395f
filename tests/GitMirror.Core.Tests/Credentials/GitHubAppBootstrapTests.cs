using System.Security.Cryptography;
using GitMirror.Core.Bootstrap;
using GitMirror.Testing;
using GitMirror.Testing.Fakes;
using Xunit;

namespace GitMirror.Core.Tests.Credentials;

/// <summary>Bootstrap of a pair whose GitHub side is a GitHub App: the API with the installation token, and the App's bot as MIRROR_BOT_USER.</summary>
public sealed class GitHubAppBootstrapTests : IAsyncLifetime
{
    private const long AppId = 626262;
    private const string GitLabToken = "glpat-canaryGL-app-0123456789";
    private readonly TempDir _root = new("bootstrap-app");
    private readonly RSA _key = RSA.Create(2048);
    private readonly string _keyEnv = "GM_TEST_BOOT_KEY_" + Guid.NewGuid().ToString("N");
    private FakeGitHubApi _github = null!;
    private FakeGitLabApi _gitlab = null!;

    public async Task InitializeAsync()
    {
        _github = await FakeGitHubApi.StartAsync(_root.Combine("github"));
        _gitlab = await FakeGitLabApi.StartAsync(_root.Combine("gitlab"));
        _github.AddOrganization("myorg");
        _github.AddApp(AppId, "acme-mirror", _key);
        _github.InstallApp(AppId, "myorg");
        _gitlab.AddUser("gl-bot", GitLabToken, "api", "write_repository");
        _gitlab.AddGroup("team");
        Environment.SetEnvironmentVariable(_keyEnv, _key.ExportRSAPrivateKeyPem());
    }

    public async Task DisposeAsync()
    {
        Environment.SetEnvironmentVariable(_keyEnv, null);
        await _github.DisposeAsync();
        await _gitlab.DisposeAsync();
        _root.Dispose();
        _key.Dispose();
    }

    [Fact]
    public async Task Bootstrap_as_an_App_creates_the_repository_and_sets_the_apps_bot_as_MIRROR_BOT_USER()
    {
        var app = new MirrorGitHubApp { Id = AppId, PrivateKeyEnv = _keyEnv };
        var pair = new MirrorPair
        {
            Name = "myorg/repo1", GitHub = "myorg/repo1", GitLab = "team/repo1",
            GitHubUrl = "https://github.example/myorg/repo1.git", GitLabUrl = "https://gitlab.example/team/repo1.git",
            ConfigPath = _root.Combine("repos.yaml"), CachePath = _root.Combine("cache"),
            GitHubApi = _github.ApiUrl, GitLabApi = _gitlab.ApiUrl, GitHubApp = app,
        };
        var botUser = (await GitMirror.Core.Forges.GitHub.GitHubAppTokens.Shared.AppAsync(_github.ApiUrl, app, CancellationToken.None)).BotUser;
        Assert.Equal("acme-mirror[bot]", botUser);
        // No GITHUB_TOKEN in the environment the bootstrapper sees: the App stands in for it.
        var bootstrapper = new MirrorBootstrapper(new MirrorBootstrapOptions { GitHubBotUser = botUser, GitLabBotUser = "gl-bot" }, null, NullMirrorLog.Instance,
            name => name == "GITLAB_TOKEN" ? GitLabToken : null);

        var outcome = await bootstrapper.BootstrapAsync(pair, (_, _) => true, CancellationToken.None);

        Assert.Null(outcome.Failure);
        var repository = _github.Repository("myorg/repo1");
        Assert.NotNull(repository);
        Assert.Equal("acme-mirror[bot]", repository.Variables["MIRROR_BOT_USER"]);
        // The deploy key was added with the installation token, so GitHub attributes it to the App's bot.
        Assert.Equal("acme-mirror[bot]", Assert.Single(repository.DeployKeys).AddedBy);
        Assert.True(_github.InstallationTokensIssued >= 1);
        Assert.DoesNotContain(_github.Calls, c => c.Target.EndsWith("/user", StringComparison.Ordinal));
        foreach (var token in _github.InstallationTokens)
        {
            Assert.DoesNotContain(repository.Secrets.Values.Concat(repository.Variables.Values), v => v.Contains(token, StringComparison.Ordinal));
            Assert.DoesNotContain(outcome.Result.Steps, s => (s.Detail ?? "").Contains(token, StringComparison.Ordinal));
        }
    }
}
