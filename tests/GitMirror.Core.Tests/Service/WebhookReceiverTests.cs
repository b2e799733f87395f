using System.Text;
using GitMirror.Core.Service;
using Xunit;

namespace GitMirror.Core.Tests.Service;

public class WebhookReceiverTests
{
    private const string Secret = "It's a Secret to Everybody";

    private static readonly MirrorPair Widgets = Pair("widgets", "Acme/Widgets", "acme/sub/widgets");
    private static readonly MirrorPair Gadgets = Pair("gadgets", "acme/gadgets", "acme/gadgets");

    private readonly WebhookReceiver _receiver = new(new PairDirectory([Widgets, Gadgets]), Secret, new DeliveryMemory(), routing: null);

    [Fact]
    public void GitHubs_documented_example_signature_verifies()
    {
        // From GitHub's "Validating webhook deliveries": secret "It's a Secret to Everybody", payload "Hello, World!".
        var body = Encoding.UTF8.GetBytes("Hello, World!");
        const string documented = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        Assert.True(WebhookSignature.VerifyGitHub(body, documented, Encoding.UTF8.GetBytes(Secret)));
        Assert.Equal(documented, WebhookSignature.SignGitHub(body, Encoding.UTF8.GetBytes(Secret)));
        Assert.True(WebhookSignature.VerifyGitHub(body, documented.ToUpperInvariant().Replace("SHA256=", "sha256="), Encoding.UTF8.GetBytes(Secret)));
    }

    [Theory]
    [InlineData(null, "missing X-Hub-Signature-256")]
    [InlineData("", "missing X-Hub-Signature-256")]
    [InlineData("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e18", "wrong X-Hub-Signature-256")]
    [InlineData("sha1=757107ea0eb2509fc211221cce984b8a37570b6d", "wrong X-Hub-Signature-256")]
    [InlineData("sha256=zz", "wrong X-Hub-Signature-256")]
    public void GitHub_requests_without_the_right_signature_are_401(string? signature, string reason)
    {
        var body = GitHubPush("Acme/Widgets");
        var decision = _receiver.Decide(MirrorSide.GitHub, Headers(("X-GitHub-Event", "push"), ("X-Hub-Signature-256", signature)), body);
        Assert.Equal((WebhookOutcome.Unauthorized, 401, reason), (decision.Outcome, decision.HttpStatus, decision.Reason));
    }

    [Fact]
    public void A_signed_push_of_a_configured_repository_is_accepted_and_a_replay_is_ignored()
    {
        var body = GitHubPush("acme/WIDGETS");
        var headers = GitHubHeaders(body, "push", "d-1");
        var first = _receiver.Decide(MirrorSide.GitHub, headers, body);
        Assert.Equal(WebhookOutcome.Accepted, first.Outcome);
        Assert.Equal(202, first.HttpStatus);
        Assert.Same(Widgets, first.Pair);
        Assert.Equal("refs/heads/main", first.Ref);

        var replay = _receiver.Decide(MirrorSide.GitHub, headers, body);
        Assert.Equal((WebhookOutcome.Ignored, 200), (replay.Outcome, replay.HttpStatus));
        Assert.Contains("seen before", replay.Reason);

        // The same signed body under another delivery id is a replay too (the signature covers the body only).
        var resent = _receiver.Decide(MirrorSide.GitHub, GitHubHeaders(body, "push", "d-2"), body);
        Assert.Equal(WebhookOutcome.Ignored, resent.Outcome);
        Assert.Contains("same payload", resent.Reason);
    }

    [Fact]
    public void GitLab_token_is_checked_before_the_body_and_deliveries_are_keyed_by_idempotency_key_then_event_uuid()
    {
        var body = GitLabPush("ACME/sub/widgets");
        Assert.Equal(WebhookOutcome.Unauthorized, _receiver.CheckHeaders(MirrorSide.GitLab, Headers(("X-Gitlab-Event", "Push Hook")), null)!.Outcome);
        Assert.Equal(WebhookOutcome.Unauthorized, _receiver.Decide(MirrorSide.GitLab, Headers(("X-Gitlab-Event", "Push Hook"), ("X-Gitlab-Token", Secret + "x")), body).Outcome);
        Assert.Equal(WebhookOutcome.Unauthorized, _receiver.Decide(MirrorSide.GitLab, Headers(("X-Gitlab-Event", "Push Hook"), ("X-Gitlab-Token", "")), body).Outcome);

        var accepted = _receiver.Decide(MirrorSide.GitLab, Headers(("X-Gitlab-Event", "Push Hook"), ("X-Gitlab-Token", Secret), ("Idempotency-Key", "k1"), ("X-Gitlab-Event-UUID", "u1")), body);
        Assert.Equal(WebhookOutcome.Accepted, accepted.Outcome);
        Assert.Same(Widgets, accepted.Pair);
        // Same Idempotency-Key (a retry of the same delivery) with a different UUID: seen.
        var retried = _receiver.Decide(MirrorSide.GitLab, Headers(("X-Gitlab-Event", "Push Hook"), ("X-Gitlab-Token", Secret), ("Idempotency-Key", "k1"), ("X-Gitlab-Event-UUID", "u2")), body);
        Assert.Equal(WebhookOutcome.Ignored, retried.Outcome);
        // Without Idempotency-Key, the event UUID decides (another push: another body).
        var tagBody = GitLabPush("ACME/sub/widgets", after: "3333333333333333333333333333333333333333");
        Assert.Equal(WebhookOutcome.Accepted, _receiver.Decide(MirrorSide.GitLab, Headers(("X-Gitlab-Event", "Tag Push Hook"), ("X-Gitlab-Token", Secret), ("X-Gitlab-Event-UUID", "u3")), tagBody).Outcome);
        var again = _receiver.Decide(MirrorSide.GitLab, Headers(("X-Gitlab-Event", "Tag Push Hook"), ("X-Gitlab-Token", Secret), ("X-Gitlab-Event-UUID", "u3")), tagBody);
        Assert.Equal(WebhookOutcome.Ignored, again.Outcome);
        Assert.Contains("seen before", again.Reason);
    }

    [Theory]
    [InlineData("not json", 400)]
    [InlineData("[1,2]", 400)]
    [InlineData("{\"ref\":\"refs/heads/main\"}", 400)]
    public void Signed_bodies_that_are_not_push_json_are_400(string text, int status)
    {
        var body = Encoding.UTF8.GetBytes(text);
        Assert.Equal(status, _receiver.Decide(MirrorSide.GitHub, GitHubHeaders(body, "push", null), body).HttpStatus);
    }

    [Fact]
    public void What_is_signed_but_not_for_us_is_200_ignored_with_the_reason()
    {
        var unknown = GitHubPush("someone/else");
        var decision = _receiver.Decide(MirrorSide.GitHub, GitHubHeaders(unknown, "push", "a"), unknown);
        Assert.Equal((WebhookOutcome.Ignored, 200), (decision.Outcome, decision.HttpStatus));
        Assert.Contains("someone/else", decision.Reason);

        var deletion = GitHubPush("acme/widgets", after: new string('0', 40), deleted: true);
        decision = _receiver.Decide(MirrorSide.GitHub, GitHubHeaders(deletion, "push", "b"), deletion);
        Assert.Equal(WebhookOutcome.Ignored, decision.Outcome);
        Assert.Contains("deletion", decision.Reason);

        var gitLabDeletion = GitLabPush("acme/gadgets", after: new string('0', 40));
        decision = _receiver.Decide(MirrorSide.GitLab, Headers(("X-Gitlab-Event", "Push Hook"), ("X-Gitlab-Token", Secret)), gitLabDeletion);
        Assert.Equal(WebhookOutcome.Ignored, decision.Outcome);

        var issue = GitHubPush("acme/widgets");
        decision = _receiver.Decide(MirrorSide.GitHub, GitHubHeaders(issue, "issues", "c"), issue);
        Assert.Equal(WebhookOutcome.Ignored, decision.Outcome);
        Assert.Contains("issues", decision.Reason);

        var ping = Encoding.UTF8.GetBytes("{\"zen\":\"Keep it logically awesome.\",\"hook_id\":1}");
        decision = _receiver.Decide(MirrorSide.GitHub, GitHubHeaders(ping, "ping", "d"), ping);
        Assert.Equal((WebhookOutcome.Ping, 200), (decision.Outcome, decision.HttpStatus));
    }

    [Fact]
    public void Oversized_bodies_are_413_by_their_declared_length()
    {
        var decision = _receiver.CheckHeaders(MirrorSide.GitHub, Headers(("X-Hub-Signature-256", "sha256=00")), WebhookReceiver.MaxBodyBytes + 1);
        Assert.Equal(413, decision!.HttpStatus);
        Assert.Null(_receiver.CheckHeaders(MirrorSide.GitHub, Headers(("X-Hub-Signature-256", "sha256=00")), WebhookReceiver.MaxBodyBytes));
    }

    [Fact]
    public void With_shards_a_pair_of_another_shard_is_forwarded_to_its_owner_without_remembering_the_delivery()
    {
        var peers = "http://r1:8080,http://r2:8080,http://r3:8080";
        var owner = ShardRouting.Parse("1/3", peers).OwnerOf(Widgets.Name);
        var other = owner % 3 + 1;
        var deliveries = new DeliveryMemory();
        var receiver = new WebhookReceiver(new PairDirectory([Widgets]), Secret, deliveries, ShardRouting.Parse($"{other}/3", peers));
        var body = GitHubPush("acme/widgets");
        var decision = receiver.Decide(MirrorSide.GitHub, GitHubHeaders(body, "push", "f-1"), body);
        Assert.Equal((WebhookOutcome.Forwarded, 202), (decision.Outcome, decision.HttpStatus));
        Assert.Equal(new Uri($"http://r{owner}:8080/hooks/github"), decision.ForwardTo);
        Assert.Equal(0, deliveries.Count);

        // A forwarded request that lands on a non-owner again (peers disagree) is not passed on in a loop.
        var looped = receiver.Decide(MirrorSide.GitHub, Headers(("X-GitHub-Event", "push"), ("X-GitHub-Delivery", "f-1"),
            ("X-Hub-Signature-256", WebhookSignature.SignGitHub(body, Encoding.UTF8.GetBytes(Secret))), (WebhookReceiver.ForwardedHeader, "shard 9/9")), body);
        Assert.Equal(WebhookOutcome.Ignored, looped.Outcome);

        var ownerReceiver = new WebhookReceiver(new PairDirectory([Widgets]), Secret, deliveries, ShardRouting.Parse($"{owner}/3", peers));
        Assert.Equal(WebhookOutcome.Accepted, ownerReceiver.Decide(MirrorSide.GitHub, GitHubHeaders(body, "push", "f-1"), body).Outcome);
        Assert.Equal(2, deliveries.Count); // the delivery id and the payload's digest
    }

    [Theory]
    [InlineData("1/3", "http://a:1,http://b:1", "-Peers must list")]
    [InlineData("1/2", "http://a:1,ftp://b:1", "not an http(s) base URL")]
    [InlineData("1/2", "http://a:1,http://user:pw@b:1", "not an http(s) base URL")]
    [InlineData("4/3", "http://a:1,http://b:1,http://c:1", "between 1 and 3")]
    public void Bad_shard_routing_is_refused_with_the_reason(string shard, string peers, string message)
    {
        Assert.Contains(message, Assert.Throws<FormatException>(() => ShardRouting.Parse(shard, peers)).Message);
    }

    [Fact]
    public void Delivery_memory_keeps_at_least_ten_thousand_and_forgets_the_oldest_beyond_its_capacity()
    {
        var memory = new DeliveryMemory();
        Assert.True(memory.Capacity >= 10_000);
        for (var i = 0; i < memory.Capacity; i++) Assert.True(memory.TryRemember($"id-{i}"));
        Assert.False(memory.TryRemember("id-0"));
        Assert.True(memory.TryRemember("one-more"));
        Assert.Equal(memory.Capacity, memory.Count);
        Assert.True(memory.TryRemember("id-0")); // the oldest was forgotten to make room
        Assert.False(memory.TryRemember($"id-{memory.Capacity - 1}"));
    }

    internal static MirrorPair Pair(string name, string github, string gitlab) => new()
    {
        Name = name,
        GitHub = github,
        GitLab = gitlab,
        GitHubUrl = $"https://github.example/{github}.git",
        GitLabUrl = $"https://gitlab.example/{gitlab}.git",
        ConfigPath = "/etc/gitmirror/repos.yaml",
        CachePath = "/var/tmp/unused",
    };

    private static byte[] GitHubPush(string fullName, string after = "1111111111111111111111111111111111111111", bool deleted = false) =>
        Encoding.UTF8.GetBytes($$$"""{"ref":"refs/heads/main","before":"2222222222222222222222222222222222222222","after":"{{{after}}}","deleted":{{{(deleted ? "true" : "false")}}},"repository":{"full_name":"{{{fullName}}}"}}""");

    private static byte[] GitLabPush(string path, string after = "1111111111111111111111111111111111111111") =>
        Encoding.UTF8.GetBytes($$$"""{"object_kind":"push","ref":"refs/tags/v1","before":"0000000000000000000000000000000000000000","after":"{{{after}}}","project":{"path_with_namespace":"{{{path}}}"}}""");

    private static Func<string, string?> GitHubHeaders(byte[] body, string eventName, string? delivery) => Headers(
        ("X-GitHub-Event", eventName), ("X-GitHub-Delivery", delivery),
        ("X-Hub-Signature-256", WebhookSignature.SignGitHub(body, Encoding.UTF8.GetBytes(Secret))));

    private static Func<string, string?> Headers(params (string Name, string? Value)[] headers) =>
        name => headers.FirstOrDefault(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;
}
