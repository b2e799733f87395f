using System.Text;
using System.Text.Json.Nodes;
using GitMirror.Core.Bootstrap;
using GitMirror.Core.Config;
using GitMirror.Core.Engine;
using GitMirror.Core.Organizations;
using GitMirror.Core.Service;
using GitMirror.Testing;
using GitMirror.Testing.Fakes;
using Xunit;

namespace GitMirror.Core.Tests.Organizations;

/// <summary>
/// An organisation's pairs end to end: listed by the API fakes, whose repositories are real bare
/// repositories served by the local smart-HTTP git server; synced, bootstrapped, and served.
/// </summary>
public sealed class OrganizationLifecycleTests : IAsyncLifetime
{
    private const string Secret = "whsec-org-CANARY-1234";

    private readonly HttpMirrorWorld _http = new();
    private readonly CollectingMirrorLog _log = new();
    private FakeGitHubApi _github = null!;
    private FakeGitLabApi _gitlab = null!;

    private MirrorWorld World => _http.World;

    public async Task InitializeAsync()
    {
        // The fakes create their repositories where the git server serves them from.
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

    private MirrorConfig Config()
    {
        File.WriteAllText(World.ConfigPath, $"""
            github:
              url: {_http.Server.BaseUrl}/github
              api: {_github.ApiUrl}
              tokenEnv: {World.GitHubTokenEnv}
            gitlab:
              url: {_http.Server.BaseUrl}/gitlab
              api: {_gitlab.ApiUrl}
              tokenEnv: {World.GitLabTokenEnv}
            cache: {World.CachePath}
            organizations:
              - github: acme
                gitlab: acme-mirror
            """);
        return ConfigLoader.Load(World.ConfigPath);
    }

    private static MirrorPair PairNamed(OrganizationExpansion expansion, string name) =>
        expansion.Config.Pairs.Single(p => p.Name == name);

    [Fact]
    public async Task An_organisation_pair_syncs_over_smart_HTTP_and_bootstrap_creates_the_missing_twin_which_then_syncs()
    {
        var app = new RepoBuilder(_github.AddRepository("acme/app").BarePath);
        var appTip = app.Commit("main");
        var appGitLab = new RepoBuilder(_gitlab.AddProject("acme-mirror/app").BarePath);
        var fresh = new RepoBuilder(_github.AddRepository("acme/fresh").BarePath);
        var freshTip = fresh.Commit("main");
        var config = Config();

        var expansion = await new OrganizationExpander(_log).ExpandAsync(config, CancellationToken.None);
        Assert.Empty(expansion.Failures);
        Assert.Equal(["acme/app", "acme/fresh"], expansion.Config.Pairs.Select(p => p.Name));

        var run = new SyncRun(expansion.Config.Pairs, new SyncRunOptions(), _log);
        var synced = await run.SyncAsync(PairNamed(expansion, "acme/app"), _ => true, CancellationToken.None);
        Assert.Equal(MirrorSyncStatus.Synced, synced.Result.Status);
        Assert.Equal(appTip, appGitLab.TipOrNull("main"));
        var skipped = await run.SyncAsync(PairNamed(expansion, "acme/fresh"), _ => true, CancellationToken.None);
        Assert.Equal(MirrorSyncStatus.Skipped, skipped.Result.Status);
        Assert.StartsWith("no twin on GitLab: run Initialize-MirrorBootstrap", skipped.Result.Error);

        // Initialize-MirrorBootstrap's engine creates the GitLab project of the one-sided pair.
        var bootstrapper = new MirrorBootstrapper(new MirrorBootstrapOptions
        {
            GitHubBotUser = "gh-bot",
            GitLabBotUser = "gl-bot",
            Trigger = MirrorBootstrapTrigger.Webhook,
            ServiceUrl = "https://mirror.example",
            WebhookSecret = Secret,
        }, null, _log);
        var bootstrapped = await bootstrapper.BootstrapAsync(PairNamed(expansion, "acme/fresh"), (_, _) => true, CancellationToken.None);
        Assert.True(bootstrapped.Result.Succeeded, string.Join("\n", bootstrapped.Result.Steps.Select(s => s.Detail)));
        Assert.Equal(MirrorBootstrapAction.Created,
            bootstrapped.Result.Steps.Single(s => s.Step == MirrorBootstrapStepKind.Repository && s.Side == MirrorBootstrapSide.GitLab).Action);
        Assert.NotNull(_gitlab.Project("acme-mirror/fresh"));

        // Still within organizationRefreshMinutes, but the listing it made stale is asked for again: the twin is found and synced.
        var before = _gitlab.Calls.Count;
        var again = await new OrganizationExpander(_log).ExpandAsync(Config(), CancellationToken.None);
        Assert.True(_gitlab.Calls.Count > before);
        var now = PairNamed(again, "acme/fresh");
        Assert.Null(now.MissingOn);
        var second = await new SyncRun(again.Config.Pairs, new SyncRunOptions(), _log).SyncAsync(now, _ => true, CancellationToken.None);
        Assert.Equal(MirrorSyncStatus.Synced, second.Result.Status);
        Assert.Equal(freshTip, new RepoBuilder(_gitlab.Project("acme-mirror/fresh")!.BarePath).TipOrNull("main"));
    }

    [Fact]
    public async Task The_service_lists_again_on_an_event_for_a_new_repository_at_most_once_per_interval()
    {
        var app = new RepoBuilder(_github.AddRepository("acme/app").BarePath);
        app.Commit("main");
        _gitlab.AddProject("acme-mirror/app");
        var service = new MirrorService(new MirrorServiceOptions
        {
            Config = Config(),
            Secret = Secret,
            PollInterval = TimeSpan.Zero,
            OrganizationRecheckInterval = TimeSpan.FromMinutes(5),
        }, _log);
        await service.RefreshOrganizationsAsync(null, CancellationToken.None);
        Assert.Equal(["acme/app"], service.OwnedPairs.Select(p => p.Name));
        Assert.Equal("acme", Assert.Single(service.Statuses()).Organization);

        // Created after the listing, within organizationRefreshMinutes: the cache lacks it.
        var created = new RepoBuilder(_github.AddRepository("acme/created").BarePath);
        var tip = created.Commit("main");
        _gitlab.AddProject("acme-mirror/created");
        var body = Push("acme/created", tip);
        var decision = service.Receiver.Decide(MirrorSide.GitHub, Headers(body, "d-1"), body);
        Assert.Equal(WebhookOutcome.Ignored, decision.Outcome);
        var rule = service.RuleToRecheck(decision);
        Assert.NotNull(rule);
        var listings = _github.Calls.Count;
        decision = await service.RecheckAsync(rule, decision, () => service.Receiver.Decide(MirrorSide.GitHub, Headers(body, "d-1"), body));

        Assert.Equal(WebhookOutcome.Accepted, decision.Outcome);
        Assert.Equal("acme/created", decision.Pair!.Name);
        Assert.Equal("acme", decision.Pair.Organization);
        Assert.Null(decision.Pair.MissingOn);
        Assert.True(_github.Calls.Count > listings);
        Assert.Contains(service.OwnedPairs, p => p.Name == "acme/created");

        // A flood of events for repositories the organisation does not have: no further listing within the interval.
        listings = _github.Calls.Count + _gitlab.Calls.Count;
        for (var i = 0; i < 20; i++)
        {
            var unknown = Push($"acme/unknown-{i}", tip);
            var ignored = service.Receiver.Decide(MirrorSide.GitHub, Headers(unknown, $"u-{i}"), unknown);
            Assert.Equal(WebhookOutcome.Ignored, ignored.Outcome);
            Assert.Null(service.RuleToRecheck(ignored));
        }
        Assert.Equal(listings, _github.Calls.Count + _gitlab.Calls.Count);
        // A repository no rule matches never triggers a listing.
        var other = Push("someone/else", tip);
        Assert.Null(service.RuleToRecheck(service.Receiver.Decide(MirrorSide.GitHub, Headers(other, "o-1"), other)));
    }

    private static byte[] Push(string fullName, string after) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["ref"] = "refs/heads/main",
        ["before"] = new string('0', 40),
        ["after"] = after,
        ["repository"] = new JsonObject { ["full_name"] = fullName },
    }.ToJsonString());

    private static Func<string, string?> Headers(byte[] body, string delivery)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["X-GitHub-Event"] = "push",
            ["X-GitHub-Delivery"] = delivery,
            ["X-Hub-Signature-256"] = WebhookSignature.SignGitHub(body, Encoding.UTF8.GetBytes(Secret)),
        };
        return name => headers.GetValueOrDefault(name);
    }
}
