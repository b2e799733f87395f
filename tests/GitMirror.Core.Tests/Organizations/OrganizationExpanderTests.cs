using GitMirror.Core.Config;
using GitMirror.Core.Engine;
using GitMirror.Core.Organizations;
using GitMirror.Core.Transport;
using GitMirror.Testing;
using GitMirror.Testing.Fakes;
using Xunit;

namespace GitMirror.Core.Tests.Organizations;

/// <summary>
/// Organisations expanded against the GitHub and GitLab API fakes on real Kestrel HTTP: pagination,
/// the flags that leave repositories out, the cache and its conditional requests, failures.
/// </summary>
public sealed class OrganizationExpanderTests : IAsyncLifetime
{
    // Canaries: neither may appear in a message, an error or the cache.
    private const string GitHubToken = "ghp_canaryORG0123456789abcdef";
    private const string GitLabToken = "glpat-canaryORG-0123456789";

    private readonly TempDir _root = new("orgs");
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly CollectingMirrorLog _log = new();
    private FakeGitHubApi _github = null!;
    private FakeGitLabApi _gitlab = null!;

    public async Task InitializeAsync()
    {
        _github = await FakeGitHubApi.StartAsync(_root.Combine("github"));
        _gitlab = await FakeGitLabApi.StartAsync(_root.Combine("gitlab"));
        _github.AddUser("gh-bot", GitHubToken, "repo");
        _github.AddOrganization("acme");
        _gitlab.AddUser("gl-bot", GitLabToken, "read_api");
        _gitlab.AddGroup("acme-mirror");
    }

    public async Task DisposeAsync()
    {
        await _github.DisposeAsync();
        await _gitlab.DisposeAsync();
        _root.Dispose();
    }

    private MirrorConfig Config(string organizations, string repos = "", int refreshMinutes = 10)
    {
        var path = _root.Combine("repos.yaml");
        File.WriteAllText(path, $"""
            github:
              url: https://github.example
              api: {_github.ApiUrl}
            gitlab:
              url: https://gitlab.example
              api: {_gitlab.ApiUrl}
            cache: {_root.Combine("cache")}
            organizationRefreshMinutes: {refreshMinutes}
            {repos}
            organizations:
            {organizations}
            """);
        return ConfigLoader.Load(path);
    }

    private const string Acme = """
          - github: acme
            gitlab: acme-mirror
        """;

    private OrganizationExpander Expander() => new(_log, new OrganizationExpanderOptions
    {
        Time = _clock,
        Environment = name => name switch { "GITHUB_TOKEN" => GitHubToken, "GITLAB_TOKEN" => GitLabToken, _ => null },
        Retry = new GitMirror.Core.Unattended.MirrorRetryOptions { MaxAttempts = 1 },
    });

    private int Listings(FakeForgeServer fake) => fake.Calls.Count(c => c.Target.Contains("/repos?", StringComparison.Ordinal) || c.Target.Contains("/projects?", StringComparison.Ordinal));

    [Fact]
    public async Task Every_page_is_listed_and_archived_forks_pending_deletion_subgroups_and_shared_projects_are_left_out()
    {
        for (var i = 0; i < 230; i++)
        {
            _github.AddListedRepository($"acme/repo-{i:D3}");
            _gitlab.AddListedProject($"acme-mirror/repo-{i:D3}");
        }
        _github.AddListedRepository("acme/old", archived: true);
        _github.AddListedRepository("acme/forked", fork: true);
        _gitlab.AddListedProject("acme-mirror/old").Archived = true;
        _gitlab.AddListedProject("acme-mirror/leaving").MarkedForDeletionAt = "2026-12-01";
        _gitlab.AddListedProject("acme-mirror/their-fork").ForkedFrom = "someone/their-fork";
        _gitlab.AddGroup("acme-mirror/sub");
        _gitlab.AddListedProject("acme-mirror/sub/nested");
        _gitlab.AddGroup("elsewhere");
        _gitlab.AddListedProject("elsewhere/shared-in").SharedWith.Add("acme-mirror");
        // Matched by path, not by the display name.
        _gitlab.AddListedProject("acme-mirror/by-path").DisplayName = "A Pretty Name";
        _github.AddListedRepository("acme/by-path");

        var expansion = await Expander().ExpandAsync(Config(Acme), CancellationToken.None);

        Assert.Empty(expansion.Failures);
        var pairs = expansion.Config.Pairs;
        Assert.Equal(231, pairs.Count);
        Assert.All(pairs, p => Assert.Equal("acme", p.Organization));
        Assert.All(pairs, p => Assert.Null(p.MissingOn));
        var byPath = Assert.Single(pairs, p => p.Name == "acme/by-path");
        Assert.Equal("acme-mirror/by-path", byPath.GitLab);
        Assert.Equal("https://github.example/acme/by-path.git", byPath.GitHubUrl);
        Assert.Equal("https://gitlab.example/acme-mirror/by-path.git", byPath.GitLabUrl);
        foreach (var left in new[] { "old", "forked", "leaving", "their-fork", "nested", "shared-in" })
        {
            Assert.DoesNotContain(pairs, p => p.Name.EndsWith("/" + left, StringComparison.Ordinal));
        }
        // 232 + 2 listed on GitHub (3 pages of 100), 237 in the group (3 pages): ceil(n/100) each.
        Assert.Equal(3, Listings(_github));
        Assert.Equal(3, Listings(_gitlab));
        Assert.All(_github.Calls.Concat(_gitlab.Calls), c => Assert.Contains("per_page=100", c.Target));
        Assert.All(_gitlab.Calls, c => Assert.Contains("with_shared=false", c.Target));
        Assert.All(_gitlab.Calls, c => Assert.Contains("include_subgroups=false", c.Target));
        Assert.DoesNotContain(_github.Calls.Concat(_gitlab.Calls), c => c.Target.Contains(GitHubToken) || c.Target.Contains(GitLabToken));
    }

    [Fact]
    public async Task A_listing_is_reused_within_the_window_and_then_confirmed_with_one_conditional_request_per_side()
    {
        for (var i = 0; i < 150; i++)
        {
            _github.AddListedRepository($"acme/r{i}");
            _gitlab.AddListedProject($"acme-mirror/r{i}");
        }
        var config = Config(Acme);
        var first = await Expander().ExpandAsync(config, CancellationToken.None);
        Assert.Equal(150, first.Config.Pairs.Count);
        var (github, gitlab) = (_github.Calls.Count, _gitlab.Calls.Count);
        Assert.Equal((2, 2), (github, gitlab));

        // Within organizationRefreshMinutes: not a single request.
        _clock.Advance(TimeSpan.FromMinutes(9));
        var again = await Expander().ExpandAsync(config, CancellationToken.None);
        Assert.Equal(first.Config.Pairs.Select(p => p.Name), again.Config.Pairs.Select(p => p.Name));
        Assert.Equal((github, gitlab), (_github.Calls.Count, _gitlab.Calls.Count));

        // After it: one conditional request per listing, answered 304, and the cache is kept.
        _clock.Advance(TimeSpan.FromMinutes(2));
        var expander = Expander();
        var confirmed = await expander.ExpandAsync(config, CancellationToken.None);
        Assert.Equal(150, confirmed.Config.Pairs.Count);
        Assert.Equal(2, expander.Requests);
        var conditional = new[] { _github.Calls[^1], _gitlab.Calls[^1] };
        Assert.All(conditional, c => Assert.Equal(304, c.Status));
        Assert.All(conditional, c => Assert.True(c.Headers.ContainsKey("If-None-Match")));

        // A new repository changes the first page: the listing is made again and finds it.
        _github.AddListedRepository("acme/brand-new");
        _clock.Advance(TimeSpan.FromMinutes(11));
        var changed = await Expander().ExpandAsync(config, CancellationToken.None);
        var added = Assert.Single(changed.Config.Pairs, p => p.Name == "acme/brand-new");
        Assert.Equal(MirrorSide.GitLab, added.MissingOn);

        // The cache holds no token and only its owner can read it.
        var files = Directory.GetFiles(_root.Combine("cache", ListingCache.DirectoryName));
        Assert.Equal(2, files.Length);
        foreach (var file in files)
        {
            var text = File.ReadAllText(file);
            Assert.DoesNotContain(GitHubToken, text);
            Assert.DoesNotContain(GitLabToken, text);
            if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }
    }

    [Fact]
    public async Task An_organisation_the_token_cannot_see_fails_its_rule_with_the_scope_and_the_rest_still_expands()
    {
        _github.AddListedRepository("acme/api");
        _gitlab.AddListedProject("acme-mirror/api");
        var config = Config(Acme + "\n" + """
              - github: hidden
                gitlab: hidden-mirror
            """, repos: """
            repos:
              - github: someone/tool
                gitlab: someone/tool
            """);
        _gitlab.AddGroup("hidden-mirror");

        var expansion = await Expander().ExpandAsync(config, CancellationToken.None);

        Assert.Equal(["someone/tool", "acme/api"], expansion.Config.Pairs.Select(p => p.Name));
        var failure = Assert.Single(expansion.Failures);
        Assert.Equal("hidden", failure.Rule.GitHub);
        Assert.Equal(MirrorSide.GitHub, failure.Side);
        Assert.Equal(TransportFailureKind.NotFound, failure.Kind);
        Assert.Contains("GitHub organisation 'hidden'", failure.Message);
        Assert.Contains("404", failure.Message);
        Assert.Contains("'repo' scope", failure.Message);
        Assert.DoesNotContain(GitHubToken, failure.ToString());
        // It was asked whether 'hidden' is a user before giving up.
        Assert.Contains(_github.Calls, c => c.Target.EndsWith("/users/hidden", StringComparison.Ordinal));

        // A 403 on GitLab: the same, with GitLab's scope.
        _gitlab.EnqueueFailure(403, """{"message":"403 Forbidden"}""", pathContains: "/groups/acme-mirror/");
        _clock.Advance(TimeSpan.FromHours(2));
        expansion = await Expander().ExpandAsync(config, CancellationToken.None);
        var forbidden = Assert.Single(expansion.Failures, f => f.Rule.GitHub == "acme");
        Assert.Equal(MirrorSide.GitLab, forbidden.Side);
        Assert.Equal(TransportFailureKind.Permission, forbidden.Kind);
        Assert.Contains("'read_api'", forbidden.Message);
        Assert.DoesNotContain(expansion.Config.Pairs, p => p.Organization == "acme");
    }

    [Fact]
    public async Task A_user_account_is_listed_through_its_user_listing()
    {
        _github.AddUser("jdoe", "ghp_other-user-token");
        _github.AddListedRepository("jdoe/dotfiles");
        _gitlab.AddGroup("jdoe-mirror");
        _gitlab.AddListedProject("jdoe-mirror/dotfiles");

        var expansion = await Expander().ExpandAsync(Config("""
              - github: jdoe
                gitlab: jdoe-mirror
            """), CancellationToken.None);

        Assert.Empty(expansion.Failures);
        Assert.Equal("jdoe/dotfiles", Assert.Single(expansion.Config.Pairs).Name);
        Assert.Contains(_github.Calls, c => c.Target.Contains("/users/jdoe/repos?", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_explicit_pair_wins_globs_select_and_one_sided_repositories_say_which_side_lacks_them()
    {
        foreach (var name in new[] { "service-a", "service-b", "sandbox-x", "website" }) _github.AddListedRepository($"acme/{name}");
        foreach (var name in new[] { "service-a", "service-b", "service-gl-only", "sandbox-x" }) _gitlab.AddListedProject($"acme-mirror/{name}");
        var config = Config("""
              - github: acme
                gitlab: acme-mirror
                include: ['service-*', 'sandbox-*', 'website']
                exclude: ['sandbox-*']
                onDivergence: skip-ref
            """, repos: """
            repos:
              - github: acme/service-b
                gitlab: special/service-b
                name: the-b
            """);

        var pairs = (await Expander().ExpandAsync(config, CancellationToken.None)).Config.Pairs;

        Assert.Equal(["the-b", "acme/service-a", "acme/service-gl-only", "acme/website"], pairs.Select(p => p.Name));
        Assert.Null(pairs[0].Organization);
        Assert.Equal("special/service-b", pairs[0].GitLab);
        Assert.All(pairs.Skip(1), p => Assert.Equal(MirrorDivergencePolicy.SkipRef, p.OnDivergence));
        Assert.Null(pairs[1].MissingOn);
        Assert.Equal(MirrorSide.GitHub, pairs[2].MissingOn);
        Assert.Equal(MirrorSide.GitLab, pairs[3].MissingOn);

        // Syncing a one-sided pair skips it with the reason: a warning, not a failure.
        var run = new SyncRun(pairs, new SyncRunOptions(), _log);
        var outcome = await run.SyncAsync(pairs[3], _ => true, CancellationToken.None);
        Assert.Equal(MirrorSyncStatus.Skipped, outcome.Result.Status);
        Assert.Contains("no twin on GitLab: run Initialize-MirrorBootstrap", outcome.Result.Error);
        Assert.Contains("-Name 'acme/website'", outcome.Result.Error);
        Assert.NotNull(outcome.Warning);
        Assert.Equal(MirrorExitCodes.Success, MirrorExitCodes.For([outcome.Result]));
        outcome = await run.SyncAsync(pairs[2], _ => true, CancellationToken.None);
        Assert.Contains("no twin on GitHub", outcome.Result.Error);
    }

    [Fact]
    public async Task A_missing_token_fails_the_rule_naming_the_variable()
    {
        var expander = new OrganizationExpander(_log, new OrganizationExpanderOptions { Time = _clock, Environment = _ => null });
        var expansion = await expander.ExpandAsync(Config(Acme), CancellationToken.None);
        Assert.Equal(2, expansion.Failures.Count);
        Assert.Contains(expansion.Failures, f => f.Message.Contains("GITHUB_TOKEN", StringComparison.Ordinal));
        Assert.Contains(expansion.Failures, f => f.Message.Contains("GITLAB_TOKEN", StringComparison.Ordinal));
        Assert.Equal(0, expander.Requests);
    }

    [Fact]
    public async Task Cache_only_expansion_for_tab_completion_sends_nothing_whatever_the_age()
    {
        _github.AddListedRepository("acme/api");
        _gitlab.AddListedProject("acme-mirror/api");
        var config = Config(Acme);
        var cacheOnly = new OrganizationExpanderOptions { Time = _clock, CacheOnly = true };

        var before = await new OrganizationExpander(_log, cacheOnly).ExpandAsync(config, CancellationToken.None);
        Assert.Empty(before.Config.Pairs);
        Assert.Empty(before.Failures);

        await Expander().ExpandAsync(config, CancellationToken.None);
        var calls = _github.Calls.Count + _gitlab.Calls.Count;
        _clock.Advance(TimeSpan.FromDays(3));
        var after = await new OrganizationExpander(_log, cacheOnly).ExpandAsync(config, CancellationToken.None);
        Assert.Equal(["acme/api"], after.Config.Pairs.Select(p => p.Name));
        Assert.Equal(calls, _github.Calls.Count + _gitlab.Calls.Count);
    }

    [Fact]
    public async Task A_link_planted_in_the_cache_fails_the_rule_instead_of_being_followed()
    {
        if (OperatingSystem.IsWindows()) return;
        _github.AddListedRepository("acme/api");
        _gitlab.AddListedProject("acme-mirror/api");
        var config = Config(Acme);
        await Expander().ExpandAsync(config, CancellationToken.None);
        var file = ListingCache.PathFor(config.CachePath, config.GitHub.Api, MirrorSide.GitHub, "acme");
        var elsewhere = _root.Combine("elsewhere.json");
        File.Move(file, elsewhere);
        File.CreateSymbolicLink(file, elsewhere);

        var expansion = await Expander().ExpandAsync(config, CancellationToken.None);

        var failure = Assert.Single(expansion.Failures);
        Assert.Contains("symbolic link", failure.Message);
        Assert.Empty(expansion.Config.Pairs);
    }

    [Fact]
    public async Task A_rate_limited_page_is_retried_after_Retry_After_by_the_retry_policy()
    {
        _github.AddListedRepository("acme/api");
        _gitlab.AddListedProject("acme-mirror/api");
        _github.EnqueueFailure(429, """{"message":"API rate limit exceeded"}""", new Dictionary<string, string> { ["Retry-After"] = "0" }, pathContains: "/orgs/acme/repos");
        var expander = new OrganizationExpander(_log, new OrganizationExpanderOptions
        {
            Time = _clock,
            Environment = name => name switch { "GITHUB_TOKEN" => GitHubToken, "GITLAB_TOKEN" => GitLabToken, _ => null },
        });

        var expansion = await expander.ExpandAsync(Config(Acme), CancellationToken.None);

        Assert.Empty(expansion.Failures);
        Assert.Equal(["acme/api"], expansion.Config.Pairs.Select(p => p.Name));
        Assert.Equal([429, 200], _github.Calls.Where(c => c.Target.Contains("/orgs/acme/repos", StringComparison.Ordinal)).Select(c => c.Status));
        Assert.Equal(3, expander.Requests);
    }

    [Fact]
    public async Task Cancellation_stops_the_listing()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Expander().ExpandAsync(Config(Acme), cancelled.Token));
    }

    [Fact]
    public void A_next_page_link_to_another_origin_is_not_followed()
    {
        using var response = new HttpResponseMessage(System.Net.HttpStatusCode.OK);
        response.Headers.TryAddWithoutValidation("Link", "<https://evil.example/api/v3/orgs/acme/repos?page=2>; rel=\"next\"");
        Assert.Null(OrganizationExpander.NextPage(response, "orgs/acme/repos?per_page=100", new Uri("https://api.github.com/")));
        using var good = new HttpResponseMessage(System.Net.HttpStatusCode.OK);
        good.Headers.TryAddWithoutValidation("Link", "<https://api.github.com/organizations/1/repos?per_page=100&page=2>; rel=\"next\"");
        Assert.Equal("organizations/1/repos?per_page=100&page=2", OrganizationExpander.NextPage(good, "orgs/acme/repos?per_page=100", new Uri("https://api.github.com/")));
    }
}

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
