using GitMirror.Core.Forges;
using GitMirror.Core.Forges.GitHub;
using GitMirror.Testing;
using GitMirror.Testing.Fakes;
using Xunit;

namespace GitMirror.Core.Tests.Forges;

public sealed class GitHubForgeTests : IAsyncLifetime
{
    private const string Token = "ghp_canary0123456789abcdef";
    private readonly TempDir _root = new("gh-forge");
    private FakeGitHubApi _fake = null!;

    public async Task InitializeAsync()
    {
        _fake = await FakeGitHubApi.StartAsync(_root.Combine("github"));
        _fake.AddUser("gh-bot", Token, "repo", "workflow");
        _fake.AddOrganization("myorg");
    }

    public async Task DisposeAsync()
    {
        await _fake.DisposeAsync();
        _root.Dispose();
    }

    private GitHubForge Forge(string token = Token) => new(_fake.ApiUrl, token);

    [Theory]
    [InlineData("https://api.github.com", "https://api.github.com/")]
    [InlineData("https://ghe.example.com/api/v3", "https://ghe.example.com/api/v3/")]
    [InlineData("https://ghe.example.com/api/v3/", "https://ghe.example.com/api/v3/")]
    [InlineData("https://example.com/github/api/v3", "https://example.com/github/api/v3/")]
    [InlineData("http://127.0.0.1:5123/api/v3", "http://127.0.0.1:5123/api/v3/")]
    public void Octokit_requests_go_below_the_configured_API_URL(string api, string expected) =>
        Assert.Equal(new Uri(expected), GitHubForge.OctokitBase(api));

    [Fact]
    public async Task Reports_login_and_classic_scopes_and_pins_the_API_version()
    {
        var identity = await Forge().GetIdentityAsync(default);

        Assert.Equal("gh-bot", identity.Login);
        Assert.Equal(["repo", "workflow"], identity.Scopes);
        Assert.All(_fake.Calls, c => Assert.Equal("2022-11-28", c.Headers["X-GitHub-Api-Version"]));
    }

    [Fact]
    public async Task Creates_repositories_in_organizations_and_the_users_account()
    {
        var forge = Forge();
        Assert.Equal(GitHubAccountKind.Organization, await forge.GetAccountKindAsync("myorg", default));
        Assert.Equal(GitHubAccountKind.User, await forge.GetAccountKindAsync("gh-bot", default));
        Assert.Null(await forge.GetAccountKindAsync("nobody", default));
        Assert.Null(await forge.GetRepositoryAsync("myorg", "repo1", default));

        await forge.CreateRepositoryAsync("myorg", "repo1", inOrganization: true, "private", default);
        await forge.CreateRepositoryAsync("gh-bot", "own", inOrganization: false, "public", default);

        Assert.Equal("private", (await forge.GetRepositoryAsync("myorg", "repo1", default))!.Visibility);
        Assert.Equal("public", _fake.Repository("gh-bot/own")!.Visibility);
        Assert.True(File.Exists(Path.Combine(_fake.Repository("myorg/repo1")!.BarePath, "HEAD")));
        Assert.Contains(_fake.Writes, c => c.Target == "/api/v3/orgs/myorg/repos");
        Assert.Contains(_fake.Writes, c => c.Target == "/api/v3/user/repos");
    }

    [Fact]
    public async Task Creating_an_existing_repository_is_a_validation_failure_with_GitHubs_message()
    {
        _fake.AddRepository("myorg/repo1");

        var e = await Assert.ThrowsAsync<ForgeApiException>(() => Forge().CreateRepositoryAsync("myorg", "repo1", true, "private", default));

        Assert.Equal((ForgeFailureKind.Invalid, 422), (e.Kind, e.StatusCode));
        Assert.Contains("name already exists on this account", e.Message);
    }

    [Fact]
    public async Task Secrets_are_sealed_with_the_repositorys_key_and_report_created_then_updated()
    {
        _fake.AddRepository("myorg/repo1");
        var forge = Forge();

        Assert.Equal(ForgeWriteOutcome.Created, await forge.PutActionsSecretAsync("myorg", "repo1", "GITLAB_TOKEN", "glpat-first-value", default));
        Assert.Equal(ForgeWriteOutcome.Updated, await forge.PutActionsSecretAsync("myorg", "repo1", "GITLAB_TOKEN", "glpat-second-value", default));

        Assert.Equal("glpat-second-value", _fake.Repository("myorg/repo1")!.Secrets["GITLAB_TOKEN"]);
        Assert.All(_fake.Calls, c => Assert.DoesNotContain("glpat-", c.Body ?? ""));
    }

    [Fact]
    public async Task Variables_are_created_read_and_updated_and_a_duplicate_is_a_conflict()
    {
        _fake.AddRepository("myorg/repo1");
        var forge = Forge();
        Assert.Null(await forge.GetActionsVariableAsync("myorg", "repo1", "GITLAB_REPO", default));

        await forge.CreateActionsVariableAsync("myorg", "repo1", "GITLAB_REPO", "team/repo1", default);
        await forge.UpdateActionsVariableAsync("myorg", "repo1", "GITLAB_REPO", "team/sub/repo1", default);
        var duplicate = await Assert.ThrowsAsync<ForgeApiException>(() => forge.CreateActionsVariableAsync("myorg", "repo1", "GITLAB_REPO", "x", default));

        Assert.Equal("team/sub/repo1", await forge.GetActionsVariableAsync("myorg", "repo1", "GITLAB_REPO", default));
        Assert.Equal((ForgeFailureKind.Conflict, 409), (duplicate.Kind, duplicate.StatusCode));
    }

    [Fact]
    public async Task Missing_repository_is_not_found()
    {
        var e = await Assert.ThrowsAsync<ForgeApiException>(() => Forge().PutActionsSecretAsync("myorg", "nope", "GITLAB_TOKEN", "glpat-value-123", default));
        Assert.Equal((ForgeFailureKind.NotFound, 404), (e.Kind, e.StatusCode));
    }

    [Fact]
    public async Task Rate_limits_become_RateLimited_with_the_wait()
    {
        var reset = DateTimeOffset.UtcNow.AddSeconds(120).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        _fake.EnqueueFailure(403, """{"message":"API rate limit exceeded for user ID 1."}""", new Dictionary<string, string>
        {
            ["X-RateLimit-Limit"] = "5000", ["X-RateLimit-Remaining"] = "0", ["X-RateLimit-Reset"] = reset,
        });
        _fake.EnqueueFailure(429, """{"message":"You have exceeded a secondary rate limit."}""", new Dictionary<string, string> { ["Retry-After"] = "30" });

        var primary = await Assert.ThrowsAsync<ForgeApiException>(() => Forge().GetIdentityAsync(default));
        var secondary = await Assert.ThrowsAsync<ForgeApiException>(() => Forge().GetIdentityAsync(default));

        Assert.Equal(ForgeFailureKind.RateLimited, primary.Kind);
        Assert.InRange(primary.RetryAfter!.Value.TotalSeconds, 100, 121);
        Assert.Equal((ForgeFailureKind.RateLimited, TimeSpan.FromSeconds(30)), (secondary.Kind, secondary.RetryAfter));
    }

    [Fact]
    public async Task A_wrong_token_is_an_authentication_failure_without_the_token()
    {
        var e = await Assert.ThrowsAsync<ForgeApiException>(() => Forge("ghp_wrongcanary999").GetIdentityAsync(default));
        Assert.Equal((ForgeFailureKind.Authentication, 401), (e.Kind, e.StatusCode));
        Assert.Contains("Bad credentials", e.Message);
        Assert.DoesNotContain("canary", e.ToString());
    }
}
