using GitMirror.Core.Config;
using Xunit;

namespace GitMirror.Core.Tests.Notify;

public class NotifyConfigTests
{
    private const string File = "/cfg/repos.yaml";

    private static MirrorConfig Parse(string top) => ConfigLoader.Parse(top + """

        repos:
          - github: myorg/repo1
            gitlab: myorg/repo1
        """, File);

    [Fact]
    public void Without_notify_nothing_is_sent_and_the_defaults_hold()
    {
        var notify = Parse("version: 1").Notify;
        Assert.Empty(notify.Targets);
        Assert.True(notify.IsEmpty);
        Assert.Equal(3, notify.FailureThreshold);
        Assert.Equal(14, notify.TokenExpiryWarningDays);
        Assert.False(notify.OpenIssues);
    }

    [Fact]
    public void Every_notify_key_is_read()
    {
        var notify = Parse("""
            notify:
              - kind: webhook
                urlEnv: GITMIRROR_NOTIFY_URL
                secretEnv: GITMIRROR_NOTIFY_SECRET
                events: [halted, recovered]
              - kind: slack
                url: https://hooks.slack.com/services/T0/B0/x
              - kind: webhook
                url: http://alerts.internal/hook
                allowInsecureHttp: true
              - kind: webhook
                url: http://127.0.0.1:9999/hook
            failureThreshold: 5
            tokenExpiryWarningDays: 30
            openIssues: true
            """).Notify;
        Assert.Equal(4, notify.Targets.Count);
        var webhook = notify.Targets[0];
        Assert.Equal(NotifyKind.Webhook, webhook.Kind);
        Assert.Equal("GITMIRROR_NOTIFY_URL", webhook.UrlEnv);
        Assert.Null(webhook.Url);
        Assert.Equal("GITMIRROR_NOTIFY_SECRET", webhook.SecretEnv);
        Assert.Equal(["halted", "recovered"], webhook.Events.Order());
        var slack = notify.Targets[1];
        Assert.Equal(NotifyKind.Slack, slack.Kind);
        Assert.Equal(NotifyEvents.All.Order(), slack.Events.Order());
        Assert.True(notify.Targets[2].AllowInsecureHttp);
        Assert.Equal(5, notify.FailureThreshold);
        Assert.Equal(30, notify.TokenExpiryWarningDays);
        Assert.True(notify.OpenIssues);
    }

    [Theory]
    [InlineData("notify:\n  - kind: email\n    url: https://x.example/h", 2, "notify[0].kind", "'email' is not a kind")]
    [InlineData("notify:\n  - kind: webhook", 2, "notify[0].url", "missing")]
    [InlineData("notify:\n  - kind: webhook\n    url: https://x.example/h\n    urlEnv: HOOK_URL", 4, "notify[0].urlEnv", "not both")]
    [InlineData("notify:\n  - kind: webhook\n    url: https://x.example/h\n    events: [halted, exploded]", 4, "notify[0].events", "'exploded' is not an event")]
    [InlineData("notify:\n  - kind: webhook\n    url: http://alerts.example/hook", 3, "notify[0].url", "plain http to alerts.example")]
    [InlineData("notify:\n  - kind: webhook\n    url: ftp://alerts.example/hook", 3, "notify[0].url", "not an https:// URL")]
    [InlineData("notify:\n  - kind: webhook\n    urlEnv: https://x.example/h", 3, "notify[0].urlEnv", "not an environment variable name")]
    [InlineData("notify:\n  - kind: slack\n    url: https://x.example/h\n    secretEnv: S", 4, "notify[0].secretEnv", "is for 'kind: webhook' only")]
    [InlineData("notify:\n  - kind: webhook\n    url: https://x.example/h\n    color: red", 4, "notify[0].color", "unknown key")]
    [InlineData("notify:\n  kind: webhook", 2, "notify", "must be a list")]
    [InlineData("failureThreshold: 0", 1, "failureThreshold", "at least 1")]
    [InlineData("tokenExpiryWarningDays: soon", 1, "tokenExpiryWarningDays", "not a whole number")]
    [InlineData("openIssues: maybe", 1, "openIssues", "not a boolean")]
    public void A_bad_notify_entry_names_file_line_and_key(string yaml, int line, string key, string problem)
    {
        var error = Assert.Throws<MirrorConfigException>(() => Parse(yaml));
        Assert.Equal(File, error.FilePath);
        Assert.Equal(line, error.Line);
        Assert.Equal(key, error.Key);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void A_refused_url_is_not_repeated_in_the_error_since_its_path_may_be_the_secret()
    {
        var error = Assert.Throws<MirrorConfigException>(() => Parse("notify:\n  - kind: slack\n    url: http://hooks.example/services/T0/B0/SECRETPART"));
        Assert.DoesNotContain("SECRETPART", error.Message);
        Assert.Contains("allowInsecureHttp", error.Message);
    }
}
