using System.Text.Json;
using GitMirror.Core.Config;
using GitMirror.Core.Engine;
using GitMirror.Core.Notify;
using GitMirror.Core.Report;
using GitMirror.Core.Tests.Report;
using GitMirror.Core.Unattended;
using GitMirror.Testing;
using GitMirror.Testing.Fakes;
using Xunit;

namespace GitMirror.Core.Tests.Notify;

/// <summary>
/// Notifications end to end: real git over the local smart-HTTP server, the engine's SyncRun, and a
/// webhook sink on real Kestrel HTTP. Every run is a new SyncRun over the same cache, as separate
/// cron runs, the service and a pwsh session would be.
/// </summary>
public sealed class NotificationTests : IAsyncLifetime
{
    private static readonly MirrorRetryOptions FastDelivery = new()
    {
        MaxAttempts = 3,
        AttemptTimeout = TimeSpan.FromSeconds(10),
        BaseDelay = TimeSpan.FromMilliseconds(20),
        MaxDelay = TimeSpan.FromMilliseconds(100),
    };

    private readonly HttpMirrorWorld _http = new();
    private readonly string _urlEnv = "GM_TEST_NOTIFY_URL_" + Guid.NewGuid().ToString("N");
    private readonly string _secretEnv = "GM_TEST_NOTIFY_SECRET_" + Guid.NewGuid().ToString("N");
    private readonly string _secret = "whsec-CANARY" + Guid.NewGuid().ToString("N");
    private readonly string _urlSecret = "CANARYPATH" + Guid.NewGuid().ToString("N");
    private NotificationSink _sink = null!;

    public async Task InitializeAsync()
    {
        _sink = await NotificationSink.StartAsync();
        Environment.SetEnvironmentVariable(_urlEnv, _sink.Url($"services/{_urlSecret}"));
        Environment.SetEnvironmentVariable(_secretEnv, _secret);
    }

    public async Task DisposeAsync()
    {
        Environment.SetEnvironmentVariable(_urlEnv, null);
        Environment.SetEnvironmentVariable(_secretEnv, null);
        await _sink.DisposeAsync();
        _http.Dispose();
    }

    private MirrorWorld World => _http.World;

    private string LogPath => Path.Combine(World.Root, "run.log");

    /// <summary>Writes repos.yaml with a notify block (webhook by default) before the repos.</summary>
    private void Configure(string? notify = null, string? top = null, string? githubApi = null, string? gitlabApi = null)
    {
        World.WriteConfig();
        notify ??= $"""
            notify:
              - kind: webhook
                urlEnv: {_urlEnv}
                secretEnv: {_secretEnv}

            """;
        var text = File.ReadAllText(World.ConfigPath);
        if (githubApi is not null) text = text.Replace("github:\n", $"github:\n  api: {githubApi}\n", StringComparison.Ordinal);
        if (gitlabApi is not null) text = text.Replace("gitlab:\n", $"gitlab:\n  api: {gitlabApi}\n", StringComparison.Ordinal);
        text = text.Replace("repos:\n", notify + (top ?? "") + "repos:\n", StringComparison.Ordinal);
        File.WriteAllText(World.ConfigPath, text);
    }

    /// <summary>One run of one pair, as a fresh cron run would do it.</summary>
    private async Task<SyncOutcome> RunAsync(string pairName, ListLog? log = null)
    {
        var config = ConfigLoader.Load(World.ConfigPath);
        var run = new SyncRun(config.Pairs, new SyncRunOptions { Notify = config.Notify, NotifyDelivery = FastDelivery, LogPath = LogPath }, log ?? new ListLog());
        return await run.SyncAsync(config.Pairs.Single(p => p.Name == pairName), _ => true, CancellationToken.None);
    }

    private static void Converge(RepoBuilder from, RepoBuilder to, string branch = "main") =>
        Git.Run(to.BarePath, "fetch", "--quiet", from.BarePath, $"+refs/heads/{branch}:refs/heads/{branch}");

    private (RepoBuilder GitHub, RepoBuilder GitLab) DivergedPair(string name)
    {
        var sides = World.AddPair(name);
        sides.GitHub.Commit("main");
        sides.GitLab.Commit("main");
        return sides;
    }

    private MirrorPairStatus StatusOf(string pairName) => new StatusStore(World.CachePath).Read(pairName);

    [Fact]
    public async Task Halted_is_sent_once_while_the_pair_stays_halted_and_recovered_once_it_is_mirrored_again()
    {
        var (github, gitlab) = DivergedPair("p1");
        Configure();

        var first = await RunAsync("p1");
        var second = await RunAsync("p1");
        Assert.Equal(MirrorSyncStatus.Halted, first.Result.Status);
        Assert.Equal(MirrorSyncStatus.Halted, second.Result.Status);
        var halted = Assert.Single(_sink.Received);

        Assert.Equal("halted", halted.Header("X-GitMirror-Event"));
        Assert.True(Guid.TryParse(halted.Header("X-GitMirror-Delivery"), out _));
        Assert.True(halted.SignatureValid);
        var body = halted.Json;
        Assert.Equal("halted", (string?)body["event"]);
        Assert.Equal("p1", (string?)body["pair"]);
        Assert.Equal("org/p1", (string?)body["github"]);
        Assert.Equal("group/p1", (string?)body["gitlab"]);
        Assert.Equal("Halted", (string?)body["status"]);
        Assert.Equal(["refs/heads/main"], body["divergedRefs"]!.AsArray().Select(r => (string?)r));
        Assert.Equal(0, (int)body["consecutiveFailures"]!);
        Assert.Contains("diverged", (string?)body["error"]);
        var at = DateTimeOffset.Parse((string)body["at"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Math.Abs((DateTimeOffset.UtcNow - at).TotalMinutes) < 5);
        Assert.EndsWith("Z", (string)body["at"]!);
        Assert.Equal(RepairCommands.ListDiverged(World.ConfigPath, "p1") + " | Repair-MirrorDivergence -Prefer GitHub", (string?)body["repair"]);
        Assert.Equal(["event", "pair", "github", "gitlab", "status", "divergedRefs", "error", "consecutiveFailures", "at", "repair"],
            body.Select(p => p.Key));

        Converge(github, gitlab);
        var healed = await RunAsync("p1");
        Assert.Equal(MirrorSyncStatus.UpToDate, healed.Result.Status);
        await RunAsync("p1");
        Assert.Equal(2, _sink.Received.Count);
        var recovered = _sink.Received[1];
        Assert.Equal("recovered", recovered.Header("X-GitMirror-Event"));
        Assert.Equal("recovered", (string?)recovered.Json["event"]);
        Assert.Empty(recovered.Json["divergedRefs"]!.AsArray());
        Assert.False(recovered.Json.ContainsKey("repair"));
        Assert.NotEqual(halted.Header("X-GitMirror-Delivery"), recovered.Header("X-GitMirror-Delivery"));
        Assert.Null(StatusOf("p1").LastNotificationError);
    }

    [Fact]
    public async Task Failed_is_sent_at_the_threshold_exactly_once_and_recovered_after()
    {
        var (github, _) = World.AddPair("p2");
        github.Commit("main");
        Configure(top: "failureThreshold: 2\n");
        Assert.Equal(MirrorSyncStatus.Synced, (await RunAsync("p2")).Result.Status);

        var gitlabRepo = World.GitLabRepo("group/p2");
        Directory.Move(gitlabRepo, gitlabRepo + ".away");
        Assert.Equal(MirrorSyncStatus.Failed, (await RunAsync("p2")).Result.Status);
        Assert.Empty(_sink.Attempts); // below the threshold
        Assert.Equal(MirrorSyncStatus.Failed, (await RunAsync("p2")).Result.Status);
        var failed = Assert.Single(_sink.Received); // at it
        Assert.Equal("failed", (string?)failed.Json["event"]);
        Assert.Equal(2, (int)failed.Json["consecutiveFailures"]!);
        Assert.Equal("Failed", (string?)failed.Json["status"]);
        Assert.False(string.IsNullOrEmpty((string?)failed.Json["error"]));
        Assert.Equal(MirrorSyncStatus.Failed, (await RunAsync("p2")).Result.Status);
        Assert.Equal(MirrorSyncStatus.Failed, (await RunAsync("p2")).Result.Status);
        Assert.Single(_sink.Received); // not again after it
        Assert.Equal(4, StatusOf("p2").ConsecutiveFailures);

        Directory.Move(gitlabRepo + ".away", gitlabRepo);
        Assert.Equal(MirrorSyncStatus.UpToDate, (await RunAsync("p2")).Result.Status);
        Assert.Equal(["failed", "recovered"], _sink.Received.Select(d => d.Header("X-GitMirror-Event")));
    }

    [Fact]
    public async Task A_pair_that_was_never_notified_sends_nothing_when_healthy()
    {
        var (github, _) = World.AddPair("quiet");
        github.Commit("main");
        Configure();
        await RunAsync("quiet");
        await RunAsync("quiet");
        Assert.Empty(_sink.Attempts);
    }

    [Fact]
    public async Task Two_runs_at_once_on_one_cache_tell_a_halt_once()
    {
        DivergedPair("p3");
        Configure();
        // Separate SyncRuns (own notifier, own breaker, own log) racing on the same pair and cache.
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => RunAsync("p3"))));
        Assert.Contains(outcomes, o => o.Result.Status == MirrorSyncStatus.Halted);
        await RunAsync("p3");
        Assert.Single(_sink.Received);
    }

    [Fact]
    public async Task A_delivery_that_fails_twice_is_retried_and_arrives_once()
    {
        DivergedPair("p4");
        Configure();
        _sink.FailFirst = 2;
        var log = new ListLog();
        await RunAsync("p4", log);

        Assert.Equal([500, 500, 200], _sink.Attempts.Select(a => a.Status));
        // One message: every attempt carries the same delivery id, so a receiver can tell retries apart.
        Assert.Single(_sink.Attempts.Select(a => a.Header("X-GitMirror-Delivery")).Distinct());
        Assert.Null(StatusOf("p4").LastNotificationError);
        var notifyLines = File.ReadAllLines(LogPath).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(l => l.GetProperty("action").GetString() == "notify").ToList();
        Assert.Equal("Delivered", Assert.Single(notifyLines).GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_message_that_cannot_be_delivered_is_a_warning_a_log_line_and_a_status_and_the_next_change_still_sends()
    {
        var (github, gitlab) = DivergedPair("p5");
        Configure();
        _sink.FailAll = true;
        var log = new ListLog();
        var outcome = await RunAsync("p5", log);

        Assert.Equal(3, _sink.Attempts.Count);
        Assert.Equal(MirrorSyncStatus.Halted, outcome.Result.Status);
        Assert.Equal(MirrorExitCodes.Diverged, MirrorExitCodes.For([outcome.Result]));
        Assert.Contains("diverged", outcome.Result.Error);
        Assert.DoesNotContain("notif", outcome.Result.Error);
        Assert.Contains(log.Warnings, w => w.Contains("Could not deliver the halted notification to notify[0]") && w.Contains("HTTP 500"));
        var line = File.ReadAllLines(LogPath).Select(l => JsonDocument.Parse(l).RootElement)
            .Single(l => l.GetProperty("action").GetString() == "notify");
        Assert.Equal("p5", line.GetProperty("pair").GetString());
        Assert.Equal("Failed", line.GetProperty("status").GetString());
        Assert.Equal("webhook", line.GetProperty("target").GetString());
        Assert.Contains("HTTP 500", line.GetProperty("error").GetString());
        var status = StatusOf("p5");
        Assert.Contains("halted notification to notify[0]", status.LastNotificationError);

        // Still halted: not sent again. Recovered: sent, and the error is cleared.
        _sink.FailAll = false;
        await RunAsync("p5");
        Assert.Empty(_sink.Received);
        Converge(github, gitlab);
        await RunAsync("p5");
        Assert.Equal("recovered", Assert.Single(_sink.Received).Header("X-GitMirror-Event"));
        Assert.Null(StatusOf("p5").LastNotificationError);
    }

    [Fact]
    public async Task The_slack_body_names_the_pair_the_refs_and_the_repair_command_in_a_code_span()
    {
        var (github, gitlab) = World.AddPair("team<&>x", "org/sx", "group/sx");
        github.Commit("main");
        gitlab.Commit("main");
        github.Commit("feature/a<b>");
        gitlab.Commit("feature/a<b>");
        Configure($"""
            notify:
              - kind: slack
                urlEnv: {_urlEnv}
                events: [halted]

            """);
        await RunAsync("team<&>x");

        var message = Assert.Single(_sink.Received);
        Assert.Null(message.Header("X-GitMirror-Signature-256"));
        Assert.Equal(["text"], message.Json.Select(p => p.Key));
        var text = (string)message.Json["text"]!;
        Assert.Contains("*team&lt;&amp;&gt;x* halted", text);
        Assert.Contains("`refs/heads/feature/a&lt;b&gt;`", text);
        Assert.Contains("`refs/heads/main`", text);
        var repair = NotificationMessage.Escape(RepairCommands.ListDiverged(World.ConfigPath, "team<&>x") + " | Repair-MirrorDivergence -Prefer GitHub");
        Assert.Contains($"`{repair}`", text);
        Assert.DoesNotContain("<", text.Replace("&lt;", "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unset_url_variable_is_a_warning_naming_it_and_the_sync_is_unchanged()
    {
        DivergedPair("p6");
        Configure("""
            notify:
              - kind: webhook
                urlEnv: GM_TEST_NOTIFY_NOT_SET

            """);
        var log = new ListLog();
        var outcome = await RunAsync("p6", log);
        Assert.Equal(MirrorSyncStatus.Halted, outcome.Result.Status);
        Assert.Contains(log.Warnings, w => w.Contains("GM_TEST_NOTIFY_NOT_SET") && w.Contains("not set"));
        Assert.Contains("GM_TEST_NOTIFY_NOT_SET", StatusOf("p6").LastNotificationError);
    }

    [Fact]
    public async Task A_url_from_the_environment_that_is_plain_http_to_another_host_is_refused_when_used()
    {
        DivergedPair("p7");
        Environment.SetEnvironmentVariable(_urlEnv, "http://alerts.example/services/" + _urlSecret);
        Configure();
        var log = new ListLog();
        await RunAsync("p7", log);
        var warning = Assert.Single(log.Warnings, w => w.Contains("notify[0]"));
        Assert.Contains("plain http to alerts.example", warning);
        Assert.DoesNotContain(_urlSecret, warning);
    }

    [Fact]
    public async Task A_redirect_is_not_followed_so_the_message_never_lands_elsewhere()
    {
        DivergedPair("p8");
        await using var elsewhere = await CanaryServer.StartAsync();
        _sink.Server.Answer = CanaryServer.RedirectTo(elsewhere.BaseUrl, 307);
        Configure();
        var log = new ListLog();
        await RunAsync("p8", log);
        Assert.Empty(elsewhere.Requests);
        Assert.Contains(log.Warnings, w => w.Contains("notify[0]") && w.Contains("redirect"));
    }

    [Fact]
    public async Task Token_rejected_is_sent_once_per_opening_of_the_breaker_not_per_pair_or_per_run()
    {
        for (var i = 0; i < 5; i++) World.AddPair($"r{i}").GitHub.Commit("main");
        Configure();
        Environment.SetEnvironmentVariable(World.GitLabTokenEnv, "glpat-wrong");
        for (var run = 0; run < 2; run++)
        {
            var config = ConfigLoader.Load(World.ConfigPath);
            var sync = new SyncRun(config.Pairs, new SyncRunOptions { Notify = config.Notify, NotifyDelivery = FastDelivery }, new ListLog());
            foreach (var pair in config.Pairs) await sync.SyncAsync(pair, _ => true, CancellationToken.None);
        }
        var rejected = Assert.Single(_sink.Received, d => d.Header("X-GitMirror-Event") == "token-rejected");
        Assert.Equal("GitLab", (string?)rejected.Json["forge"]);
        Assert.DoesNotContain("glpat-wrong", rejected.Body);

        // The token works again: a later refusal is news again.
        Environment.SetEnvironmentVariable(World.GitLabTokenEnv, _http.GitLabToken);
        await RunAsync("r0");
        Environment.SetEnvironmentVariable(World.GitLabTokenEnv, "glpat-wrong-again");
        var again = ConfigLoader.Load(World.ConfigPath);
        var third = new SyncRun(again.Pairs, new SyncRunOptions { Notify = again.Notify, NotifyDelivery = FastDelivery }, new ListLog());
        foreach (var pair in again.Pairs) await third.SyncAsync(pair, _ => true, CancellationToken.None);
        Assert.Equal(2, _sink.Received.Count(d => d.Header("X-GitMirror-Event") == "token-rejected"));
    }

    /// <summary>What a credential check found (the service's hourly one, or Get-MirrorCredential) tells an expiring token once.</summary>
    [Fact]
    public async Task A_credential_check_tells_a_token_expiring_within_the_warning_days_once()
    {
        World.AddPair("c1");
        Configure(top: "tokenExpiryWarningDays: 10\n");
        var config = ConfigLoader.Load(World.ConfigPath);
        var soon = new MirrorCredential { Forge = MirrorSide.GitLab, Kind = MirrorCredentialKind.PersonalAccessToken, User = "gl-bot", Valid = true, ExpiresAt = DateTimeOffset.UtcNow.AddDays(3) };
        var later = new MirrorCredential { Forge = MirrorSide.GitHub, Kind = MirrorCredentialKind.PersonalAccessToken, User = "gh-bot", Valid = true, ExpiresAt = DateTimeOffset.UtcNow.AddDays(60) };

        await GitMirror.Core.Service.CredentialWatch.TellExpiringAsync(config, [soon, later], new ListLog(), CancellationToken.None);
        await GitMirror.Core.Service.CredentialWatch.TellExpiringAsync(config, [soon, later], new ListLog(), CancellationToken.None);

        var told = Assert.Single(_sink.Received, d => d.Header("X-GitMirror-Event") == "token-expiring");
        Assert.Equal("GitLab", (string?)told.Json["forge"]);
    }

    /// <summary>The service runs each pair sync as a run of its own: the first refusal tells, once.</summary>
    [Fact]
    public async Task Token_rejected_is_told_by_one_pair_syncs_as_the_service_runs_them_once()
    {
        for (var i = 0; i < 3; i++) World.AddPair($"s{i}").GitHub.Commit("main");
        Configure();
        Environment.SetEnvironmentVariable(World.GitLabTokenEnv, "glpat-wrong");
        var config = ConfigLoader.Load(World.ConfigPath);
        foreach (var pair in config.Pairs)
        {
            var single = new SyncRun(config.Pairs, new SyncRunOptions { Notify = config.Notify, NotifyDelivery = FastDelivery, TellFirstRefusal = true }, new ListLog());
            await single.SyncAsync(pair, _ => true, CancellationToken.None);
        }

        var rejected = Assert.Single(_sink.Received, d => d.Header("X-GitMirror-Event") == "token-rejected");
        Assert.Equal("GitLab", (string?)rejected.Json["forge"]);
        Assert.DoesNotContain("glpat-wrong", rejected.Body);
    }

    [Fact]
    public async Task Token_expiring_is_sent_at_most_once_a_day_per_token_whichever_process_asks()
    {
        World.AddPair("t1");
        Configure(top: "tokenExpiryWarningDays: 10\n");
        var config = ConfigLoader.Load(World.ConfigPath);
        var clock = new ManualClock(new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero));
        Notifier Process() => new(config.Notify, config.CachePath, new ListLog(), delivery: FastDelivery, time: clock);
        var expires = new DateTimeOffset(2026, 12, 8, 0, 0, 0, TimeSpan.Zero);

        Assert.False(await Process().TokenExpiringAsync(MirrorSide.GitLab, clock.GetUtcNow().AddDays(30), "mirror-bot", CancellationToken.None));
        Assert.True(await Process().TokenExpiringAsync(MirrorSide.GitLab, expires, "mirror-bot", CancellationToken.None));
        Assert.False(await Process().TokenExpiringAsync(MirrorSide.GitLab, expires, "mirror-bot", CancellationToken.None));
        clock.Now = clock.Now.AddHours(15); // 23:00, the same UTC day
        Assert.False(await Process().TokenExpiringAsync(MirrorSide.GitLab, expires, "mirror-bot", CancellationToken.None));
        Assert.True(await Process().TokenExpiringAsync(MirrorSide.GitHub, expires, null, CancellationToken.None)); // another token
        clock.Now = clock.Now.AddHours(2); // the next day
        Assert.True(await Process().TokenExpiringAsync(MirrorSide.GitLab, expires, "mirror-bot", CancellationToken.None));

        var sent = _sink.Received.Where(d => d.Header("X-GitMirror-Event") == "token-expiring").ToList();
        Assert.Equal(3, sent.Count);
        Assert.True(sent.All(d => d.SignatureValid));
        Assert.Equal("GitLab", (string?)sent[0].Json["forge"]);
        Assert.Equal("mirror-bot", (string?)sent[0].Json["user"]);
        Assert.Equal("2026-12-08T00:00:00Z", (string?)sent[0].Json["expiresAt"]);
        Assert.Equal("2026-12-01T08:00:00Z", (string?)sent[0].Json["at"]);
    }

    [Fact]
    public async Task No_token_url_or_signing_key_reaches_a_status_file_the_log_a_warning_an_error_or_a_message()
    {
        DivergedPair("c1");
        World.AddPair("c2").GitHub.Commit("main");
        Configure($"""
            notify:
              - kind: webhook
                urlEnv: {_urlEnv}
                secretEnv: {_secretEnv}
              - kind: slack
                urlEnv: {_urlEnv}

            """, top: "failureThreshold: 1\n");
        var log = new ListLog();
        var outcomes = new List<SyncOutcome>();
        _sink.FailAll = true;
        outcomes.Add(await RunAsync("c1", log));
        Environment.SetEnvironmentVariable(World.GitLabTokenEnv, "glpat-CANARY-refused-" + Guid.NewGuid().ToString("N"));
        var refused = Environment.GetEnvironmentVariable(World.GitLabTokenEnv)!;
        outcomes.Add(await RunAsync("c2", log));
        _sink.FailAll = false;
        Environment.SetEnvironmentVariable(World.GitLabTokenEnv, _http.GitLabToken);
        outcomes.Add(await RunAsync("c2", log));

        Assert.NotEmpty(_sink.Received);
        Assert.Contains(log.Warnings, w => w.Contains("notify[")); // the failing deliveries were reported
        string[] canaries = [_http.GitHubToken, _http.GitLabToken, refused, _secret, _urlSecret];
        var written = Directory.EnumerateFiles(World.CachePath, "*.json", SearchOption.AllDirectories).Select(File.ReadAllText)
            .Append(File.ReadAllText(LogPath))
            .Concat(log.Warnings).Concat(log.VerboseLines)
            .Concat(outcomes.Select(o => o.Result.Error ?? "")).Concat(outcomes.Select(o => o.Failure?.ToString() ?? ""))
            .Concat(new[] { "c1", "c2" }.Select(p => StatusOf(p).LastNotificationError ?? ""))
            .Concat(_sink.Attempts.Select(a => a.Body))
            .ToList();
        foreach (var canary in canaries)
        {
            Assert.DoesNotContain(written, text => text.Contains(canary, StringComparison.Ordinal));
        }
        Assert.DoesNotContain(_sink.Attempts, a => a.Headers.Values.Any(v => canaries.Any(c => v.Contains(c, StringComparison.Ordinal))));
    }

    [Fact]
    public async Task With_openIssues_a_halt_opens_one_issue_on_each_side_once_and_recovery_closes_them_with_a_comment()
    {
        await using var githubApi = await FakeGitHubApi.StartAsync(Path.Combine(World.Root, "github-api"));
        await using var gitlabApi = await FakeGitLabApi.StartAsync(Path.Combine(World.Root, "gitlab-api"));
        githubApi.AddUser("mirror-bot", _http.GitHubToken, "repo", "workflow");
        gitlabApi.AddUser("mirror-bot", _http.GitLabToken, "api", "write_repository");
        githubApi.AddOrganization("org");
        var githubRepo = githubApi.AddRepository("org/p9");
        gitlabApi.AddGroup("group");
        var gitlabProject = gitlabApi.AddProject("group/p9");
        var (github, gitlab) = World.AddPair("p9");
        github.Commit("main");
        Configure(top: "openIssues: true\n", githubApi: githubApi.ApiUrl, gitlabApi: gitlabApi.ApiUrl);
        Assert.Equal(MirrorSyncStatus.Synced, (await RunAsync("p9")).Result.Status);
        var githubSha = github.Commits(2, "main");
        var gitlabSha = gitlab.Commit("main");

        var log = new ListLog();
        Assert.Equal(MirrorSyncStatus.Halted, (await RunAsync("p9", log)).Result.Status);
        Assert.Equal(MirrorSyncStatus.Halted, (await RunAsync("p9", log)).Result.Status);
        Assert.DoesNotContain(log.Warnings, w => w.Contains("issue"));
        var githubIssue = Assert.Single(githubRepo.Issues);
        var gitlabIssue = Assert.Single(gitlabProject.Issues);
        foreach (var issue in new[] { githubIssue, gitlabIssue })
        {
            Assert.Equal(["gitmirror"], issue.Labels);
            Assert.Contains("p9", issue.Title);
            Assert.Contains("`refs/heads/main`", issue.Body);
            Assert.Contains($"GitHub `{githubSha}` (2 commits ahead of the merge base)", issue.Body);
            Assert.Contains($"GitLab `{gitlabSha}` (1 commit ahead of the merge base)", issue.Body);
            Assert.Contains(RepairCommands.ListDiverged(World.ConfigPath, "p9"), issue.Body);
            Assert.Contains(RepairCommands.Repair(World.ConfigPath, "p9", "refs/heads/main", MirrorSide.GitHub), issue.Body);
            Assert.Contains(RepairCommands.Repair(World.ConfigPath, "p9", "refs/heads/main", MirrorSide.GitLab), issue.Body);
        }

        // The status file is lost (the cache was deleted): the halt is news again, but the open issues are found, not doubled.
        File.Delete(new StatusStore(World.CachePath).PathFor("p9"));
        await RunAsync("p9");
        Assert.Single(githubRepo.Issues);
        Assert.Single(gitlabProject.Issues);

        Converge(github, gitlab);
        Assert.Equal(MirrorSyncStatus.UpToDate, (await RunAsync("p9", log)).Result.Status);
        Assert.False(githubIssue.Open);
        Assert.False(gitlabIssue.Open);
        Assert.Contains("mirrored again", Assert.Single(githubIssue.Comments));
        Assert.Contains("mirrored again", Assert.Single(gitlabIssue.Comments));
        Assert.DoesNotContain(log.Warnings, w => w.Contains("issue"));
        var state = new StatusStore(World.CachePath).ReadNotification("p9");
        Assert.Null(state.GitHubIssue);
        Assert.Null(state.GitLabIssue);
        Assert.Null(state.Notified);
    }

    [Fact]
    public async Task An_issue_that_cannot_be_opened_is_a_warning_and_the_sync_result_is_unchanged()
    {
        await using var githubApi = await FakeGitHubApi.StartAsync(Path.Combine(World.Root, "github-api"));
        await using var gitlabApi = await FakeGitLabApi.StartAsync(Path.Combine(World.Root, "gitlab-api"));
        githubApi.AddUser("mirror-bot", _http.GitHubToken, "repo");
        gitlabApi.AddUser("mirror-bot", _http.GitLabToken, "api");
        githubApi.AddOrganization("org");
        var githubRepo = githubApi.AddRepository("org/p10");
        DivergedPair("p10"); // the GitLab project does not exist in the API fake: 404
        Configure(top: "openIssues: true\n", githubApi: githubApi.ApiUrl, gitlabApi: gitlabApi.ApiUrl);
        var log = new ListLog();
        var outcome = await RunAsync("p10", log);
        Assert.Equal(MirrorSyncStatus.Halted, outcome.Result.Status);
        Assert.Single(githubRepo.Issues);
        Assert.Contains(log.Warnings, w => w.Contains("no GitLab issue opened for 'p10'") && w.Contains("404"));
        Assert.Contains("no GitLab issue opened", StatusOf("p10").LastNotificationError);
        Assert.Equal("halted", Assert.Single(_sink.Received).Header("X-GitMirror-Event"));
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
