using System.Net;
using System.Text.Json;
using GitMirror.Host.Tests.Serve;
using GitMirror.Testing;
using GitMirror.Testing.Fakes;
using Xunit;

namespace GitMirror.Host.Tests;

/// <summary>
/// Whole organisations through the gitmirror host and `gitmirror serve`: the API fakes list the
/// organisation, the local smart-HTTP server serves its repositories.
/// </summary>
public sealed class OrganizationHostTests : IAsyncLifetime
{
    private const string Secret = "whsec-orgs-CANARY-5678";

    private readonly HttpMirrorWorld _http = new();
    private FakeGitHubApi _github = null!;
    private FakeGitLabApi _gitlab = null!;

    private MirrorWorld World => _http.World;

    public async Task InitializeAsync()
    {
        _github = await FakeGitHubApi.StartAsync(World.GitHubRoot);
        _gitlab = await FakeGitLabApi.StartAsync(World.GitLabRoot);
        _github.AddUser("gh-bot", _http.GitHubToken, "repo", "workflow");
        _github.AddOrganization("acme");
        _gitlab.AddUser("gl-bot", _http.GitLabToken, "api", "write_repository");
        _gitlab.AddGroup("acme-mirror");
    }

    public async Task DisposeAsync()
    {
        await _github.DisposeAsync();
        await _gitlab.DisposeAsync();
        _http.Dispose();
    }

    private void WriteConfig(string extraOrganizations = "") => File.WriteAllText(World.ConfigPath, $"""
        github:
          url: {_http.Server.BaseUrl}/github
          api: {_github.ApiUrl}
          tokenEnv: {World.GitHubTokenEnv}
        gitlab:
          url: {_http.Server.BaseUrl}/gitlab
          api: {_gitlab.ApiUrl}
          tokenEnv: {World.GitLabTokenEnv}
        cache: {World.CachePath}
        repos:
          - github: acme/pinned
            gitlab: pinned-elsewhere/pinned
        organizations:
          - github: acme
            gitlab: acme-mirror
        {extraOrganizations}
        """);

    [Fact]
    public void Get_MirrorPair_lists_the_expanded_pairs_and_Sync_skips_a_one_sided_one_and_exits_2_when_an_organisation_cannot_be_listed()
    {
        var app = new RepoBuilder(_github.AddRepository("acme/app").BarePath);
        var tip = app.Commit("main");
        var appGitLab = new RepoBuilder(_gitlab.AddProject("acme-mirror/app").BarePath);
        new RepoBuilder(_github.AddRepository("acme/lonely").BarePath).Commit("main");
        new RepoBuilder(_github.AddRepository("acme/pinned").BarePath).Commit("main");
        _gitlab.AddGroup("pinned-elsewhere");
        _gitlab.AddProject("pinned-elsewhere/pinned");
        WriteConfig();
        var config = GitMirrorHost.Quote(World.ConfigPath);

        var listed = GitMirrorHost.Run(World.Root, $"Get-MirrorPair -Path {config} -Name 'acme/*' | ForEach-Object {{ \"$($_.Name)|$($_.GitLab)|$($_.Organization)\" }}");
        Assert.True(listed.ExitCode == 0, listed.ToString());
        Assert.Equal(["acme/pinned|pinned-elsewhere/pinned|", "acme/app|acme-mirror/app|acme", "acme/lonely|acme-mirror/lonely|acme"],
            listed.StdoutLines.Where(l => l.Contains('|')).ToArray());
        var listings = _github.Calls.Count + _gitlab.Calls.Count;

        // From the cache: no API request within organizationRefreshMinutes.
        var sync = GitMirrorHost.Run(World.Root, "Sync-MirrorPair", "-All", "-Path", config);
        Assert.True(sync.ExitCode == 0, sync.ToString());
        Assert.Equal(listings, _github.Calls.Count + _gitlab.Calls.Count);
        Assert.Equal(tip, appGitLab.TipOrNull("main"));
        Assert.Contains("no twin on GitLab: run Initialize-MirrorBootstrap", sync.Stdout + sync.Stderr);

        // An organisation the token cannot see: its error, the others still run, exit 2.
        app.Commit("main");
        WriteConfig("""
              - github: hidden
                gitlab: acme-mirror/hidden
            """);
        _gitlab.AddGroup("acme-mirror/hidden");
        sync = GitMirrorHost.Run(World.Root, "Sync-MirrorPair", "-All", "-Path", config);
        Assert.True(sync.ExitCode == 2, sync.ToString());
        Assert.Contains("GitHub organisation 'hidden'", sync.Stderr);
        Assert.Contains("'repo' scope", sync.Stderr);
        Assert.Equal(RepoBuilder.Refs(app.BarePath)["refs/heads/main"], appGitLab.TipOrNull("main"));
        Assert.DoesNotContain(_http.GitHubToken, sync.Stdout + sync.Stderr);
        Assert.DoesNotContain(_http.GitLabToken, sync.Stdout + sync.Stderr);
    }

    [Fact]
    public async Task Serve_lists_the_organisation_again_on_an_event_for_a_repository_created_since_and_syncs_it()
    {
        new RepoBuilder(_github.AddRepository("acme/app").BarePath).Commit("main");
        _gitlab.AddProject("acme-mirror/app");
        WriteConfig();
        using var serve = ServeProcess.Start(World.Root, Secret, "-Path", World.ConfigPath, "-Listen", "127.0.0.1:0", "-PollIntervalSec", "0");

        var created = new RepoBuilder(_github.AddRepository("acme/created").BarePath);
        var tip = created.Commit("main");
        var createdGitLab = new RepoBuilder(_gitlab.AddProject("acme-mirror/created").BarePath);
        var response = await serve.GitHubPushAsync("acme/created", "refs/heads/main", tip, Secret);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync() + serve.Output);
        Assert.True(ServeProcess.Eventually(() => createdGitLab.TipOrNull("main") == tip, TimeSpan.FromSeconds(30)), serve.Output);

        // /status names the organisation of each of its pairs; the page too.
        using var status = JsonDocument.Parse(await (await serve.GetAsync("/status")).Content.ReadAsStringAsync());
        var created1 = status.RootElement.EnumerateArray().Single(s => s.GetProperty("PairName").GetString() == "acme/created");
        Assert.Equal("acme", created1.GetProperty("Organization").GetString());
        var pinned = status.RootElement.EnumerateArray().Single(s => s.GetProperty("PairName").GetString() == "acme/pinned");
        Assert.Equal(JsonValueKind.Null, pinned.GetProperty("Organization").ValueKind);
        Assert.Contains("organisation acme", await (await serve.GetAsync("/")).Content.ReadAsStringAsync());

        // An unknown repository right after: answered ignored without another listing.
        var calls = _github.Calls.Count;
        response = await serve.GitHubPushAsync("acme/does-not-exist", "refs/heads/main", tip, Secret);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("ignored", await response.Content.ReadAsStringAsync());
        Assert.Equal(calls, _github.Calls.Count);
    }
}
