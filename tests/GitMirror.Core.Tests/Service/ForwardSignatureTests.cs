using System.Text;
using GitMirror.Core.Service;
using Xunit;

namespace GitMirror.Core.Tests.Service;

/// <summary>Forwarding between replicas: the owner verifies a forward by a key derived from the secret; the secret itself never travels.</summary>
public class ForwardSignatureTests
{
    private const string Secret = "whsec-CANARY-forward-2b3c";
    private static readonly MirrorPair Widgets = WebhookReceiverTests.Pair("widgets", "acme/widgets", "acme/widgets");

    private static byte[] GitLabPush() =>
        Encoding.UTF8.GetBytes("""{"object_kind":"push","ref":"refs/heads/main","before":"0000000000000000000000000000000000000000","after":"1111111111111111111111111111111111111111","project":{"path_with_namespace":"acme/widgets"}}""");

    [Fact]
    public void A_forwarded_GitLab_event_carries_no_token_and_is_accepted_by_its_derived_signature_only()
    {
        Assert.DoesNotContain("X-Gitlab-Token", WebhookReceiver.ForwardedHeaders, StringComparer.OrdinalIgnoreCase);
        var owner = new WebhookReceiver(new PairDirectory([Widgets]), Secret, new DeliveryMemory(), routing: null);
        var body = GitLabPush();
        var signature = owner.ForwardSignature(MirrorSide.GitLab, body);
        Assert.DoesNotContain(Secret, signature);
        Assert.NotEqual(WebhookSignature.SignGitHub(body, Encoding.UTF8.GetBytes(Secret)), signature); // not the body's plain HMAC either

        Func<string, string?> Forwarded(string? sig) => name => name switch
        {
            "X-Gitlab-Event" => "Push Hook",
            "X-Gitlab-Event-UUID" => "u-1",
            WebhookReceiver.ForwardedHeader => "shard 1/2",
            WebhookReceiver.ForwardSignatureHeader => sig,
            _ => null,
        };

        Assert.Null(owner.CheckHeaders(MirrorSide.GitLab, Forwarded(signature), body.Length));
        var wrong = owner.Decide(MirrorSide.GitLab, Forwarded("sha256=" + new string('0', 64)), body);
        Assert.Equal(WebhookOutcome.Unauthorized, wrong.Outcome);
        // Signed for another body or forge: refused.
        Assert.Equal(WebhookOutcome.Unauthorized, owner.Decide(MirrorSide.GitLab, Forwarded(owner.ForwardSignature(MirrorSide.GitHub, body)), body).Outcome);
        Assert.Equal(WebhookOutcome.Accepted, owner.Decide(MirrorSide.GitLab, Forwarded(signature), body).Outcome);

        // A replica with another secret cannot forge it.
        var stranger = new WebhookReceiver(new PairDirectory([Widgets]), "another-secret", new DeliveryMemory(), routing: null);
        Assert.NotEqual(signature, stranger.ForwardSignature(MirrorSide.GitLab, body));
    }
}
