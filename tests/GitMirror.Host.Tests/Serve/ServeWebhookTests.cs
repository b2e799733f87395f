using System.Net;
using System.Text;
using System.Text.Json;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.Host.Tests.Serve;

/// <summary>
/// The real `gitmirror serve` process against the real smart-HTTP git server, driven by webhooks
/// over real HTTP as GitHub and GitLab send them (design.md §8).
/// </summary>
public sealed class ServeWebhookTests : IDisposable
{
    private const string Secret = "whsec-CANARY-0f9e8d7c6b5a";

    private readonly HttpMirrorWorld _http = new();
    private readonly string _log;

    public ServeWebhookTests()
    {
        _log = Path.Combine(_http.World.Root, "serve.jsonl");
    }

    private MirrorWorld World => _http.World;

    public void Dispose() => _http.Dispose();

    [UnixFact]
    public async Task Push_events_from_both_forges_sync_the_pair_and_everything_else_is_answered_without_a_sync()
    {
        var (gitHub, gitLab) = World.AddPair("widgets", "acme/widgets", "acme/team/widgets");
        var first = gitHub.Commit("main");
        using var serve = ServeProcess.Start(World.Root, Secret, "-Path", World.ConfigPath, "-Listen", "127.0.0.1:0", "-PollIntervalSec", "0", "-LogPath", _log);

        Assert.Equal(HttpStatusCode.OK, (await serve.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await serve.GetAsync("/readyz")).StatusCode);
        // -PollIntervalSec 0: not even a poll at start.
        Thread.Sleep(500);
        Assert.Null(gitLab.TipOrNull("main"));

        // GitHub push → 202 → GitLab has the commit within seconds.
        var response = await serve.GitHubPushAsync("ACME/Widgets", "refs/heads/main", first, Secret, delivery: "gh-1");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.True(ServeProcess.Eventually(() => gitLab.TipOrNull("main") == first, TimeSpan.FromSeconds(30)), serve.Output);

        // GitLab tag push → GitHub has the tag.
        var tagged = gitLab.Tag("v1.0", first, "release 1.0");
        response = await serve.GitLabPushAsync("acme/team/widgets", "refs/tags/v1.0", tagged, Secret);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.True(ServeProcess.Eventually(() => RepoBuilder.Refs(gitHub.BarePath).GetValueOrDefault("refs/tags/v1.0") == tagged, TimeSpan.FromSeconds(30)), serve.Output);
        Assert.True(ServeProcess.Eventually(() => Syncs().Count == 2, TimeSpan.FromSeconds(10)), serve.Output);

        // Everything below is refused or ignored, and none of it syncs.
        var next = gitHub.Commit("main");
        await AssertAnswer(serve.GitHubPushAsync("acme/widgets", "refs/heads/main", next, secret: null), 401);
        await AssertAnswer(serve.GitHubPushAsync("acme/widgets", "refs/heads/main", next, "not-the-secret"), 401);
        await AssertAnswer(serve.GitLabPushAsync("acme/team/widgets", "refs/heads/main", next, token: null), 401);
        await AssertAnswer(serve.GitLabPushAsync("acme/team/widgets", "refs/heads/main", next, "not-the-secret"), 401);
        await AssertAnswer(serve.GitHubPushAsync("acme/widgets", "refs/heads/main", first, Secret, delivery: "gh-1"), 200, "seen before");
        await AssertAnswer(serve.GitHubPushAsync("someone/else", "refs/heads/main", next, Secret), 200, "someone/else");
        await AssertAnswer(serve.GitHubPushAsync("acme/widgets", "refs/heads/old", Webhooks.ZeroSha, Secret, before: first), 200, "deletion");
        await AssertAnswer(serve.GitLabPushAsync("acme/team/widgets", "refs/heads/old", Webhooks.ZeroSha, Secret), 200, "deletion");
        await AssertAnswer(serve.GitHubPushAsync("acme/widgets", "refs/heads/main", next, Secret, eventName: "issues"), 200, "issues");
        await AssertAnswer(serve.GitHubPushAsync("acme/widgets", "refs/heads/main", next, Secret, eventName: "ping"), 200);
        var notJson = Encoding.UTF8.GetBytes("payload=%7B%22ref%22%7D");
        await AssertAnswer(serve.PostAsync("/hooks/github", new ByteArrayContent(notJson), ("X-GitHub-Event", "push"), ("X-Hub-Signature-256", Webhooks.Sign(notJson, Secret))), 400);
        var huge = new byte[26 * 1024 * 1024];
        await AssertAnswer(serve.PostAsync("/hooks/github", new ByteArrayContent(huge), ("X-GitHub-Event", "push"), ("X-Hub-Signature-256", Webhooks.Sign(huge, Secret))), 413);
        await AssertAnswer(serve.PostAsync("/hooks/gitlab", new ByteArrayContent(huge), ("X-Gitlab-Event", "Push Hook"), ("X-Gitlab-Token", Secret)), 413);

        Thread.Sleep(1000);
        Assert.Equal(2, Syncs().Count);
        Assert.Equal(first, gitLab.TipOrNull("main"));

        // The JSON log: same keys on every line; events, refusals and ignored deliveries have their own actions.
        var lines = ServeProcess.LogLines(_log);
        var keys = lines[0].EnumerateObject().Select(p => p.Name).ToList();
        Assert.All(lines, l => Assert.Equal(keys, l.EnumerateObject().Select(p => p.Name).ToList()));
        var actions = lines.Select(l => l.GetProperty("action").GetString()).ToList();
        Assert.Equal(2, actions.Count(a => a == "event"));
        Assert.Equal(7, actions.Count(a => a == "refused")); // 4 bad signatures or tokens, one 400, two 413s
        Assert.Equal(6, actions.Count(a => a == "ignored"));
        var logText = string.Join('\n', lines.Select(l => l.GetRawText()));
        Assert.DoesNotContain(Secret, logText);
        Assert.DoesNotContain(_http.GitHubToken, logText + serve.Output);

        // Live metrics and status.
        var metrics = await (await serve.GetAsync("/metrics")).Content.ReadAsStringAsync();
        Assert.Contains("gitmirror_webhook_events_total{forge=\"github\",outcome=\"accepted\"} 1", metrics);
        Assert.Contains("gitmirror_webhook_events_total{forge=\"gitlab\",outcome=\"accepted\"} 1", metrics);
        Assert.Contains("gitmirror_webhook_events_total{forge=\"github\",outcome=\"unauthorized\"} 2", metrics);
        Assert.Contains("gitmirror_event_to_mirrored_seconds_count 2", metrics);
        Assert.Contains("gitmirror_pair_healthy{pair=\"widgets\"} 1", metrics);
        Assert.Contains("gitmirror_syncs_total{status=\"Synced\"} 2", metrics);
        // A service is no run: its uptime is not passed off as a run's duration.
        Assert.DoesNotContain("gitmirror_run_duration_seconds", metrics);
        Assert.Matches(@"\ngitmirror_uptime_seconds \d", metrics);
        var status = JsonDocument.Parse(await (await serve.GetAsync("/status")).Content.ReadAsStringAsync()).RootElement;
        var pair = Assert.Single(status.EnumerateArray());
        Assert.Equal(["PairName", "Status", "Healthy", "LastRun", "LastSuccess", "ConsecutiveFailures", "DivergedRefs", "LastError", "Organization", "LastNotificationError"],
            pair.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal("widgets", pair.GetProperty("PairName").GetString());
        Assert.Equal("Synced", pair.GetProperty("Status").GetString());
        Assert.True(pair.GetProperty("Healthy").GetBoolean());

        Assert.Equal(0, serve.Terminate(TimeSpan.FromSeconds(15)));
    }

    [UnixFact]
    public async Task A_burst_of_four_tag_pushes_is_one_sync_and_a_divergence_from_an_event_halts_the_pair()
    {
        var (gitHub, gitLab) = World.AddPair("gadgets");
        var baseSha = gitHub.Commit("main");
        using var serve = ServeProcess.Start(World.Root, Secret, "-Path", World.ConfigPath, "-Listen", "127.0.0.1:0", "-PollIntervalSec", "0", "-LogPath", _log);

        var tags = Enumerable.Range(1, 4).Select(i => (Name: $"v0.{i}", Sha: gitHub.Tag($"v0.{i}", baseSha))).ToList();
        var answers = await Task.WhenAll(tags.Select(t => serve.GitHubPushAsync("org/gadgets", "refs/tags/" + t.Name, t.Sha, Secret)));
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.Accepted, a.StatusCode));
        Assert.True(ServeProcess.Eventually(() => tags.All(t => RepoBuilder.Refs(gitLab.BarePath).ContainsKey("refs/tags/" + t.Name)), TimeSpan.FromSeconds(30)), serve.Output);
        Thread.Sleep(700);
        Assert.Single(Syncs());
        Assert.Equal(baseSha, gitLab.TipOrNull("main"));

        // Both sides commit to main; GitLab's push event arrives: the pair halts at once, nothing is pushed.
        var onGitHub = gitHub.Commit("main");
        var onGitLab = gitLab.Commit("main");
        Assert.Equal(HttpStatusCode.Accepted, (await serve.GitLabPushAsync("group/gadgets", "refs/heads/main", onGitLab, Secret)).StatusCode);
        Assert.True(ServeProcess.Eventually(() => Syncs().Count == 2, TimeSpan.FromSeconds(30)), serve.Output);
        Assert.Equal("Halted", Syncs()[1].GetProperty("status").GetString());
        Assert.Equal((onGitHub, onGitLab), (gitHub.TipOrNull("main"), gitLab.TipOrNull("main")));

        var status = JsonDocument.Parse(await (await serve.GetAsync("/status")).Content.ReadAsStringAsync()).RootElement[0];
        Assert.Equal("Halted", status.GetProperty("Status").GetString());
        Assert.False(status.GetProperty("Healthy").GetBoolean());
        Assert.Equal(["refs/heads/main"], status.GetProperty("DivergedRefs").EnumerateArray().Select(e => e.GetString()!).ToArray());
        var page = await (await serve.GetAsync("/")).Content.ReadAsStringAsync();
        Assert.Contains(WebUtility.HtmlEncode($"Repair-MirrorDivergence -Path '{World.ConfigPath}' -Name 'gadgets' -Ref 'refs/heads/main' -Prefer GitHub"), page);
        Assert.Contains("gitmirror_pair_diverged_refs{pair=\"gadgets\"} 1", await (await serve.GetAsync("/metrics")).Content.ReadAsStringAsync());
        Assert.Equal(0, serve.Terminate(TimeSpan.FromSeconds(15)));
    }

    [UnixFact]
    public void A_missed_event_is_caught_by_the_poll_which_also_runs_once_at_start()
    {
        var (gitHub, gitLab) = World.AddPair("poll");
        var before = gitHub.Commit("main");
        using var serve = ServeProcess.Start(World.Root, Secret, "-Path", World.ConfigPath, "-Listen", "127.0.0.1:0", "-PollIntervalSec", "2", "-LogPath", _log);
        Assert.True(ServeProcess.Eventually(() => gitLab.TipOrNull("main") == before, TimeSpan.FromSeconds(30)), serve.Output);

        var missed = gitLab.Commit("main"); // no webhook is ever sent for this push
        Assert.True(ServeProcess.Eventually(() => gitHub.TipOrNull("main") == missed, TimeSpan.FromSeconds(30)), serve.Output);
        Assert.Equal(0, serve.Terminate(TimeSpan.FromSeconds(15)));
    }

    [UnixFact]
    public async Task SIGTERM_during_a_sync_cancels_it_exits_0_within_seconds_and_a_later_run_completes_the_pair()
    {
        var (gitHub, gitLab) = World.AddPair("slow");
        var sha = gitHub.Commit("main");
        var syncing = new TaskCompletionSource();
        // The sync's first request to the git server hangs until the client gives up. Only git's
        // requests: the service's credential check at start asks this server's API paths too.
        _http.Server.Intercept = async context =>
        {
            if (context.Request.Path.Value?.Contains(".git/", StringComparison.Ordinal) != true) return false;
            syncing.TrySetResult();
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(60), context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
            }
            return true;
        };
        using var serve = ServeProcess.Start(World.Root, Secret, "-Path", World.ConfigPath, "-Listen", "127.0.0.1:0", "-PollIntervalSec", "0", "-LogPath", _log);
        Assert.Equal(HttpStatusCode.Accepted, (await serve.GitHubPushAsync("org/slow", "refs/heads/main", sha, Secret)).StatusCode);
        await syncing.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(0, serve.Terminate(TimeSpan.FromSeconds(15)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.Null(gitLab.TipOrNull("main"));
        Assert.Contains("cancelled", serve.Output);

        // Nothing was left locked or half-done: the scheduled form syncs the pair normally.
        _http.Server.Intercept = null;
        var run = GitMirrorHost.Run(World.Root, "Sync-MirrorPair", "-All", "-Path", GitMirrorHost.Quote(World.ConfigPath));
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(sha, gitLab.TipOrNull("main"));
    }

    [Fact]
    public void An_unset_or_empty_secret_refuses_to_start_with_exit_3_and_webhookSecretEnv_names_another_variable()
    {
        World.AddPair("x");
        var (code, stderr) = ServeProcess.RunToExit(World.Root, null, "-Path", World.ConfigPath, "-Listen", "127.0.0.1:0");
        Assert.Equal(3, code);
        Assert.Contains("GITMIRROR_WEBHOOK_SECRET", stderr);
        Assert.Equal(3, ServeProcess.RunToExit(World.Root, "", "-Path", World.ConfigPath, "-Listen", "127.0.0.1:0").ExitCode);

        File.WriteAllText(World.ConfigPath, "webhookSecretEnv: GM_TEST_UNSET_HOOK_SECRET\n" + File.ReadAllText(World.ConfigPath));
        (code, stderr) = ServeProcess.RunToExit(World.Root, Secret, "-Path", World.ConfigPath, "-Listen", "127.0.0.1:0");
        Assert.Equal(3, code);
        Assert.Contains("GM_TEST_UNSET_HOOK_SECRET", stderr);

        (code, stderr) = ServeProcess.RunToExit(World.Root, Secret, "-Path", World.ConfigPath, "-Shard", "1/2");
        Assert.Equal(3, code);
        Assert.Contains("-Peers", stderr);
    }

    [Fact]
    public void A_LogPath_that_cannot_be_written_refuses_to_start_with_exit_3()
    {
        World.AddPair("x");
        var logPath = Path.Combine(World.Root, "no-such-directory", "serve.jsonl");

        var (code, stderr) = ServeProcess.RunToExit(World.Root, Secret, "-Path", World.ConfigPath, "-Listen", "127.0.0.1:0", "-LogPath", logPath);

        Assert.True(code == 3, $"exit {code}: {stderr}");
        Assert.Contains("-LogPath", stderr);
        Assert.Contains("does not exist", stderr);
    }

    [Fact]
    public void A_port_in_use_refuses_to_start_with_exit_3_naming_the_address()
    {
        World.AddPair("x");
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var listen = $"127.0.0.1:{((System.Net.IPEndPoint)taken.LocalEndpoint).Port}";

        var (code, stderr) = ServeProcess.RunToExit(World.Root, Secret, "-Path", World.ConfigPath, "-Listen", listen, "-PollIntervalSec", "0");

        Assert.True(code == 3, $"exit {code}: {stderr}");
        Assert.Contains($"cannot listen on {listen}", stderr);
        taken.Stop();
    }

    private List<JsonElement> Syncs() => [.. ServeProcess.LogLines(_log).Where(l => l.GetProperty("action").GetString() == "sync")];

    private static async Task AssertAnswer(Task<HttpResponseMessage> request, int status, string? reason = null)
    {
        var response = await request;
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {body}");
        if (status == 200 && reason is not null)
        {
            Assert.Contains(reason, JsonDocument.Parse(body).RootElement.GetProperty("ignored").GetString());
        }
    }
}
