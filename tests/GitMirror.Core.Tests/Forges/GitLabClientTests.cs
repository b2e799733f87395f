using GitMirror.Core.Forges;
using GitMirror.Core.Forges.GitLab;
using GitMirror.Testing;
using GitMirror.Testing.Fakes;
using Xunit;

namespace GitMirror.Core.Tests.Forges;

public sealed class GitLabClientTests : IAsyncLifetime
{
    private const string Token = "glpat-canary-0123456789";
    private readonly TempDir _root = new("gl-client");
    private FakeGitLabApi _fake = null!;

    public async Task InitializeAsync()
    {
        _fake = await FakeGitLabApi.StartAsync(_root.Combine("gitlab"));
        _fake.AddUser("gl-bot", Token, "api", "write_repository");
        _fake.AddGroup("team/sub");
    }

    public async Task DisposeAsync()
    {
        await _fake.DisposeAsync();
        _root.Dispose();
    }

    private GitLabClient Client(string token = Token, List<TimeSpan>? delays = null, int pageSize = 100) =>
        new(_fake.ApiUrl, token)
        {
            PageSize = pageSize,
            Delay = (wait, _) => { delays?.Add(wait); return Task.CompletedTask; },
        };

    [Fact]
    public async Task A_redirect_is_not_followed_so_the_token_never_goes_to_another_host()
    {
        await using var elsewhere = await Unattended.ScriptedHttpServer.StartAsync(new Unattended.ScriptedHttpServer.Reply(200, "{}"));
        var other = elsewhere.Url.ToString().Replace("127.0.0.1", "localhost");
        await using var moved = await Unattended.ScriptedHttpServer.StartAsync(
            new Unattended.ScriptedHttpServer.Reply(301, "", false, ("Location", other + "api/v4/user")));
        var client = new GitLabClient(moved.Url + "api/v4", "glpat-CANARY-redirect");

        var e = await Assert.ThrowsAsync<ForgeApiException>(() => client.GetCurrentUserAsync(CancellationToken.None));

        Assert.Equal(0, elsewhere.Requests);
        Assert.Equal(ForgeFailureKind.RedirectRefused, e.Kind);
        Assert.Contains($"redirected to {other.TrimEnd('/')}, another origin", e.Message);
        Assert.DoesNotContain("CANARY", e.Message);
    }

    [Fact]
    public async Task Finds_subgroup_namespaces_and_creates_projects_as_bare_repositories()
    {
        using var client = Client();
        Assert.Null(await client.GetProjectAsync("team/sub/repo", default));
        var ns = await client.GetNamespaceAsync("team/sub", default);
        Assert.NotNull(ns);
        Assert.Equal(("group", "team/sub"), (ns.Kind, ns.FullPath));
        Assert.Null(await client.GetNamespaceAsync("team/nope", default));

        var created = await client.CreateProjectAsync("repo", "repo", ns.Id, GitLabVisibility.Private, default);

        Assert.Equal("team/sub/repo", created.PathWithNamespace);
        Assert.Equal(created.Id, (await client.GetProjectAsync("team/sub/repo", default))!.Id);
        Assert.True(File.Exists(Path.Combine(_fake.Project("team/sub/repo")!.BarePath, "HEAD")));
        Assert.Contains(_fake.Calls, c => c.Target == "/api/v4/projects/team%2Fsub%2Frepo");
    }

    [Fact]
    public async Task Creating_an_existing_project_reports_GitLabs_field_messages()
    {
        _fake.AddProject("team/sub/repo");
        using var client = Client();
        var ns = await client.GetNamespaceAsync("team/sub", default);

        var e = await Assert.ThrowsAsync<ForgeApiException>(() => client.CreateProjectAsync("repo", "repo", ns!.Id, "private", default));

        Assert.Equal((ForgeFailureKind.Invalid, 400), (e.Kind, e.StatusCode));
        Assert.Equal(["has already been taken"], e.FieldErrors["path"]);
        Assert.Contains("path has already been taken", e.Message);
    }

    [Fact]
    public async Task Refuses_to_mask_a_value_outside_GitLabs_rule()
    {
        var project = _fake.AddProject("team/sub/repo");
        using var client = Client();

        var e = await Assert.ThrowsAsync<ForgeApiException>(() =>
            client.CreateProjectVariableAsync(project.Id, new GitLabVariable("SECRET", "short", Masked: true), default));

        Assert.Equal(400, e.StatusCode);
        Assert.Equal(["is invalid"], e.FieldErrors["value"]);
        Assert.Empty(project.Variables);
    }

    [Fact]
    public async Task Variables_are_created_updated_and_listed_across_pages()
    {
        var project = _fake.AddProject("team/sub/repo");
        using var client = Client(pageSize: 10);
        for (var i = 0; i < 25; i++)
        {
            await client.CreateProjectVariableAsync(project.Id, new GitLabVariable($"V{i:00}", $"value-{i}"), default);
        }
        await client.UpdateProjectVariableAsync(project.Id, new GitLabVariable("V03", "masked-value-ok", Masked: true, Protected: true), default);

        var all = await client.ListProjectVariablesAsync(project.Id, default);

        Assert.Equal(25, all.Count);
        Assert.Equal(new GitLabVariable("V03", "masked-value-ok", true, true, true), all.Single(v => v.Key == "V03"));
        Assert.Equal(3, _fake.Calls.Count(c => c.Target.StartsWith($"/api/v4/projects/{project.Id}/variables?", StringComparison.Ordinal)));
        Assert.Null(await client.GetProjectVariableAsync(project.Id, "NOPE", default));
    }

    [Fact]
    public void Follows_Link_headers_to_its_own_API_only()
    {
        using var client = Client();
        using var own = new HttpResponseMessage();
        own.Headers.Add("Link", $"<{_fake.ApiUrl}/projects/1/variables?page=2&per_page=100>; rel=\"next\", <{_fake.ApiUrl}/projects/1/variables?page=3>; rel=\"last\"");
        using var foreign = new HttpResponseMessage();
        foreign.Headers.Add("Link", "<https://evil.example/api/v4/x?page=2>; rel=\"next\"");

        Assert.Equal("projects/1/variables?page=2&per_page=100", client.NextPage(own, "projects/1/variables?page=1"));
        Assert.Null(client.NextPage(foreign, "projects/1/variables?page=1"));
    }

    [Fact]
    public async Task Waits_out_429_Retry_After_and_gives_up_after_the_bound()
    {
        var delays = new List<TimeSpan>();
        using var client = Client(delays: delays);
        var retry = new Dictionary<string, string> { ["Retry-After"] = "7" };
        _fake.EnqueueFailure(429, """{"message":"Retry later"}""", retry);

        Assert.Equal("gl-bot", (await client.GetCurrentUserAsync(default)).Username);
        Assert.Equal([TimeSpan.FromSeconds(7)], delays);

        for (var i = 0; i < 4; i++) _fake.EnqueueFailure(429, """{"message":"Retry later"}""", retry);
        var e = await Assert.ThrowsAsync<ForgeApiException>(() => client.GetCurrentUserAsync(default));
        Assert.Equal((ForgeFailureKind.RateLimited, TimeSpan.FromSeconds(7)), (e.Kind, e.RetryAfter));
        Assert.Equal(4, delays.Count);
    }

    [Fact]
    public async Task A_wrong_token_is_an_authentication_failure_that_never_shows_the_token()
    {
        using var client = Client(token: "glpat-wrong-canary-999");

        var e = await Assert.ThrowsAsync<ForgeApiException>(() => client.GetCurrentTokenAsync(default));

        Assert.Equal((ForgeFailureKind.Authentication, 401, "401 Unauthorized"), (e.Kind, e.StatusCode, e.ServerMessage));
        Assert.DoesNotContain("canary", e.ToString());
        Assert.All(_fake.Calls, c => Assert.DoesNotContain("canary", c.Target + string.Join(" ", c.Headers.Values)));
    }

    [Fact]
    public async Task Reports_the_tokens_scopes()
    {
        using var client = Client();
        Assert.Equal(["api", "write_repository"], (await client.GetCurrentTokenAsync(default)).Scopes);
    }
}
