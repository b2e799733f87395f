using GitMirror.Testing;
using GitMirror.Testing.Fakes;
using Xunit;

namespace GitMirror.PowerShell.Tests;

/// <summary>Get-MirrorCredential in the built module against the forge fakes, its view, and Get-MirrorStatus's warning.</summary>
public sealed class GetMirrorCredentialTests : IAsyncLifetime
{
    private readonly TempDir _root = new("ps-credential");
    private readonly string _gitHubEnv = "GM_PS_GH_" + Guid.NewGuid().ToString("N");
    private readonly string _gitLabEnv = "GM_PS_GL_" + Guid.NewGuid().ToString("N");
    private readonly string _gitHubToken = "ghp_CANARYps" + Guid.NewGuid().ToString("N");
    private readonly string _gitLabToken = "glpat-CANARYps" + Guid.NewGuid().ToString("N");
    private FakeGitHubApi _github = null!;
    private FakeGitLabApi _gitlab = null!;

    public async Task InitializeAsync()
    {
        _github = await FakeGitHubApi.StartAsync(_root.Combine("gh"));
        _gitlab = await FakeGitLabApi.StartAsync(_root.Combine("gl"));
        _github.AddUser("gh-bot", _gitHubToken, "repo", "workflow");
        _gitlab.AddUser("gl-bot", _gitLabToken, "api", "write_repository");
        File.WriteAllText(ConfigPath, $"""
            github:
              url: {_github.BaseUrl}
              api: {_github.ApiUrl}
              tokenEnv: {_gitHubEnv}
            gitlab:
              url: {_gitlab.BaseUrl}
              api: {_gitlab.ApiUrl}
              tokenEnv: {_gitLabEnv}
            cache: {_root.Combine("cache")}
            repos:
              - github: acme/widget
                gitlab: acme/widget
            """);
    }

    public async Task DisposeAsync()
    {
        await _github.DisposeAsync();
        await _gitlab.DisposeAsync();
        _root.Dispose();
    }

    private string ConfigPath => _root.Combine("repos.yaml");

    private PowerShellSession Session() => new(environment: new Dictionary<string, string> { [_gitHubEnv] = _gitHubToken, [_gitLabEnv] = _gitLabToken });

    [Fact]
    public void Emits_one_credential_per_forge_reports_an_invalid_one_and_Get_MirrorStatus_warns()
    {
        _github.SetTokenExpiration(_gitHubToken, DateTimeOffset.UtcNow.AddDays(5).AddHours(1));
        _gitlab.RevokeToken(_gitLabToken);
        using var ps = Session();

        var result = ps.Run("Get-MirrorCredential -Path $args[0]", ConfigPath);

        Assert.Equal(2, result.Output.Count);
        var (github, gitlab) = (result.Output[0], result.Output[1]);
        Assert.Equal("GitMirror.MirrorCredential", github.BaseObject.GetType().FullName);
        Assert.Equal(("GitHub", "PersonalAccessToken", "gh-bot", "5", "True"), (P(github, "Forge"), P(github, "Kind"), P(github, "User"), P(github, "DaysLeft"), P(github, "Valid")));
        Assert.Equal(["repo", "workflow"], (string[])github.Properties["Scopes"].Value);
        Assert.Equal(("GitLab", "False"), (P(gitlab, "Forge"), P(gitlab, "Valid")));
        Assert.Equal(["MirrorCredentialInvalid"], result.ErrorIds);
        Assert.Contains("revoked", result.Errors[0].ToString());

        var status = ps.Run("Get-MirrorStatus -Path $args[0]", ConfigPath);
        Assert.Empty(status.AllErrors);
        Assert.Single(status.Output);
        Assert.Contains(status.Warnings, w => w.StartsWith("GitHub credential: the token expires on", StringComparison.Ordinal) && w.Contains("(5 days left)"));
        Assert.Contains(status.Warnings, w => w.StartsWith("GitLab credential:", StringComparison.Ordinal) && w.Contains("revoked"));

        var everything = string.Join('\n', result.Output.Select(o => o.ToString()).Concat(result.Errors.Select(e => e.ToString())).Concat(status.Warnings))
            + File.ReadAllText(_root.Combine("cache", "status", "credentials.json"));
        Assert.DoesNotContain("CANARY", everything);
    }

    private static string? P(System.Management.Automation.PSObject o, string name) => o.Properties[name].Value?.ToString();

    [Fact]
    public void The_table_view_fits_80_columns()
    {
        using var ps = new PowerShellSession();
        var text = string.Concat(ps.Run("""
            $PSStyle.OutputRendering = 'PlainText'
            [GitMirror.MirrorCredential]@{ Forge = 'GitHub'; Kind = 'GitHubApp'; User = 'acme-mirror-bot-long-name[bot]'; Valid = $true
                ExpiresAt = [DateTimeOffset]::new(2026, 12, 7, 23, 10, 0, [TimeSpan]::Zero); DaysLeft = 0; Scopes = @('contents:write') },
            [GitMirror.MirrorCredential]@{ Forge = 'GitLab'; Kind = 'PersonalAccessToken'; User = 'gl-bot'; Valid = $true } | Out-String -Width 80
            """).Output.Select(o => o.ToString()));

        Assert.All(text.Split('\n'), line => Assert.True(line.TrimEnd('\r').Length <= 80, line));
        Assert.Matches(@"Forge\s+Kind\s+User\s+Expires \(UTC\)\s+DaysLeft\s+Valid", text);
        Assert.Matches(@"GitHub\s+GitHubApp\s+acme-mirror-bot-l.*2026-12-07 23:10\s+0\s+True", text);
        Assert.Matches(@"GitLab\s+PersonalAccessToken\s+gl-bot\s+never\s+True", text);
    }
}
