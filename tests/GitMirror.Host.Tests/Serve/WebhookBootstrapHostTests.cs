using GitMirror.Testing;
using GitMirror.Testing.Fakes;
using Xunit;

namespace GitMirror.Host.Tests.Serve;

/// <summary>`Initialize-MirrorBootstrap -Trigger Webhook` through the gitmirror host against the forge fakes (real HTTP).</summary>
public sealed class WebhookBootstrapHostTests : IAsyncLifetime
{
    private readonly TempDir _dir = new("gitmirror-hookboot");
    private readonly string _gitHubToken = $"ghp_CANARYgh{Guid.NewGuid():N}";
    private readonly string _gitLabToken = $"glpat-CANARYgl{Guid.NewGuid():N}";
    private readonly string _gitHubTokenEnv = $"GITMIRROR_TEST_GH_{Guid.NewGuid():N}";
    private readonly string _gitLabTokenEnv = $"GITMIRROR_TEST_GL_{Guid.NewGuid():N}";
    private readonly string _secretEnv = $"GITMIRROR_TEST_HOOK_{Guid.NewGuid():N}";
    private FakeGitHubApi _github = null!;
    private FakeGitLabApi _gitlab = null!;

    public async Task InitializeAsync()
    {
        _github = await FakeGitHubApi.StartAsync(_dir.Combine("github"));
        _gitlab = await FakeGitLabApi.StartAsync(_dir.Combine("gitlab"));
        _github.AddUser("gh-bot", _gitHubToken, "repo", "workflow");
        _github.AddOrganization("myorg");
        _gitlab.AddUser("gl-bot", _gitLabToken, "api", "write_repository");
        _gitlab.AddGroup("team");
        Environment.SetEnvironmentVariable(_gitHubTokenEnv, _gitHubToken);
        Environment.SetEnvironmentVariable(_gitLabTokenEnv, _gitLabToken);
        File.WriteAllText(_dir.Combine("repos.yaml"), $"""
            version: 1
            github:
              url: {_github.BaseUrl}
              api: {_github.ApiUrl}
              tokenEnv: {_gitHubTokenEnv}
            gitlab:
              url: {_gitlab.BaseUrl}
              api: {_gitlab.ApiUrl}
              tokenEnv: {_gitLabTokenEnv}
            cache: {_dir.Combine("cache")}
            webhookSecretEnv: {_secretEnv}
            repos:
              - github: myorg/widgets
                gitlab: team/widgets
            """);
    }

    public async Task DisposeAsync()
    {
        Environment.SetEnvironmentVariable(_gitHubTokenEnv, null);
        Environment.SetEnvironmentVariable(_gitLabTokenEnv, null);
        await _github.DisposeAsync();
        await _gitlab.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public void Webhook_trigger_registers_one_hook_per_side_with_a_generated_owner_only_secret_and_nothing_in_CI()
    {
        var command = $"Initialize-MirrorBootstrap -All -Path {GitMirrorHost.Quote(_dir.Combine("repos.yaml"))} -Trigger Webhook -ServiceUrl http://127.0.0.1:18080/";
        var first = GitMirrorHost.Run(_dir.Path, command);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("webhook-secret", first.Stderr); // the warning that says where the generated secret is
        var secretFile = _dir.Combine("cache", "webhook-secret");
        var secret = File.ReadAllText(secretFile).Trim();
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secretFile));

        var second = GitMirrorHost.Run(_dir.Path, command);
        Assert.True(second.ExitCode == 0, second.ToString());

        var repo = _github.Repository("myorg/widgets")!;
        var hook = Assert.Single(repo.Hooks);
        Assert.Equal(("http://127.0.0.1:18080/hooks/github", secret), (hook.Url, hook.Secret));
        Assert.Empty(repo.Secrets);
        Assert.Empty(repo.Variables);
        var project = _gitlab.Project("team/widgets")!;
        var labHook = Assert.Single(project.Hooks);
        Assert.Equal(("http://127.0.0.1:18080/hooks/gitlab", secret), (labHook.Url, labHook.Token));
        Assert.Empty(project.Variables);
        Assert.DoesNotContain(secret, first.Stdout + first.Stderr + second.Stdout + second.Stderr);

        // Plain http to another host would send the secret in clear text: refused before anything runs.
        var refused = GitMirrorHost.Run(_dir.Path, $"Initialize-MirrorBootstrap -All -Path {GitMirrorHost.Quote(_dir.Combine("repos.yaml"))} -Trigger Webhook -ServiceUrl http://mirror.example.com");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("-ServiceUrl", refused.Stderr);
    }
}
