using System.Text;
using System.Text.Json;

namespace GitMirror.Core.Service;

/// <summary>
/// Decides what a webhook request means, in the order design.md §8 gives: authentication first
/// (401), then the body (400), then whether it is a push of a pair we serve — forwarded to its owner
/// when another replica owns it, ignored (200) when it is not for us, accepted (202) otherwise.
/// Pure apart from the delivery memory: no HTTP, no git.
/// </summary>
public sealed class WebhookReceiver
{
    /// <summary>GitHub caps payloads at 25 MB; so do we.</summary>
    public const long MaxBodyBytes = 25L * 1024 * 1024;

    /// <summary>Set on a forwarded request, so a replica whose peers disagree never forwards in a loop.</summary>
    public const string ForwardedHeader = "X-GitMirror-Forwarded-By";

    /// <summary>
    /// The headers a forward passes on unchanged (with the raw body), so the owner verifies them
    /// again. Never X-Gitlab-Token: it is the secret itself; a forward carries
    /// <see cref="ForwardSignatureHeader"/> instead.
    /// </summary>
    public static readonly IReadOnlyList<string> ForwardedHeaders =
    [
        "Content-Type", "User-Agent",
        "X-GitHub-Event", "X-GitHub-Delivery", "X-GitHub-Hook-ID", "X-Hub-Signature-256",
        "X-Gitlab-Event", "X-Gitlab-Event-UUID", "X-Gitlab-Webhook-UUID", "X-Gitlab-Instance", "Idempotency-Key",
    ];

    /// <summary>A forward's proof: <c>sha256=</c> HMAC of "forge\nbody" keyed with a key derived from the secret (never the secret).</summary>
    public const string ForwardSignatureHeader = "X-GitMirror-Forward-Signature-256";

    private readonly PairDirectory _pairs;
    private readonly byte[] _secret;
    private readonly DeliveryMemory _deliveries;
    private readonly ShardRouting? _routing;

    public WebhookReceiver(PairDirectory pairs, string secret, DeliveryMemory deliveries, ShardRouting? routing)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        _pairs = pairs;
        _secret = Encoding.UTF8.GetBytes(secret);
        _deliveries = deliveries;
        _routing = routing;
    }

    /// <summary>
    /// What can be decided from the headers alone, before the body is read: a request without a
    /// signature, or GitLab's token, is refused without reading anything. Null: read the body.
    /// </summary>
    public WebhookDecision? CheckHeaders(MirrorSide forge, Func<string, string?> header, long? contentLength)
    {
        if (forge == MirrorSide.GitHub && string.IsNullOrEmpty(header("X-Hub-Signature-256")))
        {
            return new(WebhookOutcome.Unauthorized, forge, "missing X-Hub-Signature-256");
        }
        // A forward from another replica proves itself over the body (checked in Decide).
        if (forge == MirrorSide.GitLab && !string.IsNullOrEmpty(header(ForwardSignatureHeader)) && string.IsNullOrEmpty(header("X-Gitlab-Token")))
        {
            return contentLength > MaxBodyBytes ? TooLarge(forge) : null;
        }
        if (forge == MirrorSide.GitLab && !WebhookSignature.VerifyGitLab(header("X-Gitlab-Token"), _secret))
        {
            return new(WebhookOutcome.Unauthorized, forge, string.IsNullOrEmpty(header("X-Gitlab-Token")) ? "missing X-Gitlab-Token" : "wrong X-Gitlab-Token");
        }
        if (contentLength > MaxBodyBytes) return TooLarge(forge);
        return null;
    }

    public static WebhookDecision TooLarge(MirrorSide forge) =>
        new(WebhookOutcome.TooLarge, forge, $"body over {MaxBodyBytes / (1024 * 1024)} MB");

    /// <summary>Decides on the whole request; <paramref name="body"/> is the raw body as received.</summary>
    public WebhookDecision Decide(MirrorSide forge, Func<string, string?> header, ReadOnlySpan<byte> body)
    {
        if (CheckHeaders(forge, header, body.Length) is { } early) return early;
        if (forge == MirrorSide.GitHub && !WebhookSignature.VerifyGitHub(body, header("X-Hub-Signature-256"), _secret))
        {
            return new(WebhookOutcome.Unauthorized, forge, "wrong X-Hub-Signature-256");
        }
        if (forge == MirrorSide.GitLab && string.IsNullOrEmpty(header("X-Gitlab-Token"))
            && !WebhookSignature.VerifyForward(header(ForwardSignatureHeader), ForwardSignature(forge, body)))
        {
            return new(WebhookOutcome.Unauthorized, forge, $"wrong {ForwardSignatureHeader}");
        }

        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(body.ToArray());
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            return new(WebhookOutcome.BadRequest, forge, $"the body is not JSON: {e.Message}");
        }
        if (root.ValueKind != JsonValueKind.Object) return new(WebhookOutcome.BadRequest, forge, "the body is not a JSON object");

        var eventName = header(forge == MirrorSide.GitHub ? "X-GitHub-Event" : "X-Gitlab-Event") ?? "";
        if (forge == MirrorSide.GitHub && eventName == "ping") return new(WebhookOutcome.Ping, forge, "ping");
        var isPush = forge == MirrorSide.GitHub ? eventName == "push" : eventName is "Push Hook" or "Tag Push Hook";
        if (!isPush) return new(WebhookOutcome.Ignored, forge, eventName.Length == 0 ? "no event type header" : $"event type '{eventName}' is not a push");

        var path = forge == MirrorSide.GitHub ? Text(root, "repository", "full_name") : Text(root, "project", "path_with_namespace");
        if (path is null)
        {
            return new(WebhookOutcome.BadRequest, forge,
                forge == MirrorSide.GitHub ? "a push event without repository.full_name" : "a push event without project.path_with_namespace");
        }
        var @ref = Text(root, "ref");
        var before = Text(root, "before");
        var after = Text(root, "after");
        var pair = _pairs.Find(forge, path);
        if (pair is null) return new(WebhookOutcome.Ignored, forge, $"no pair names {forge} repository '{path}'", null, @ref, before, after, Path: path);

        var deleted = after == Transport.ObjectIds.Sha1Zero || (root.TryGetProperty("deleted", out var d) && d.ValueKind == JsonValueKind.True);
        if (deleted)
        {
            return new(WebhookOutcome.Ignored, forge, $"a deletion of {@ref} (deletions are not mirrored; the next sync restores the ref)", pair, @ref, before, after);
        }

        if (_routing is not null && !_routing.Owns(pair.Name))
        {
            var owner = _routing.OwnerOf(pair.Name);
            if (header(ForwardedHeader) is { Length: > 0 } from)
            {
                return new(WebhookOutcome.Ignored, forge,
                    $"forwarded by {from} but pair '{pair.Name}' belongs to shard {owner}/{_routing.Shard.Count}, not to this {_routing}: check -Peers", pair, @ref, before, after);
            }
            var to = _routing.ForwardUrl(pair.Name, HookPath(forge));
            return new(WebhookOutcome.Forwarded, forge, $"shard {owner}/{_routing.Shard.Count} owns the pair: forwarded to {to}", pair, @ref, before, after, to);
        }

        // The owner remembers deliveries (a forwarder does not): a redelivery through another replica is still caught here.
        if (DeliveryKey(forge, header) is { } key && !_deliveries.TryRemember(key))
        {
            return new(WebhookOutcome.Ignored, forge, $"delivery {Shown(key)} was seen before", pair, @ref, before, after);
        }
        // The signature covers the body, not the delivery id: the same signed body under a new id is a replay.
        if (!_deliveries.TryRemember($"{forge}:body:{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(body))}"))
        {
            return new(WebhookOutcome.Ignored, forge, "the same payload was delivered before (a replay under a new delivery id)", pair, @ref, before, after);
        }
        return new(WebhookOutcome.Accepted, forge, null, pair, @ref, before, after);
    }

    /// <summary>An id as logged: at most 80 characters, whatever the sender made of it.</summary>
    private static string Shown(string key) => key.Length <= 80 ? key : key[..77] + "...";

    /// <summary>What a replica puts in <see cref="ForwardSignatureHeader"/> for a forwarded body.</summary>
    public string ForwardSignature(MirrorSide forge, ReadOnlySpan<byte> body) => WebhookSignature.SignForward(_secret, forge, body);

    public static string HookPath(MirrorSide forge) => forge == MirrorSide.GitHub ? "/hooks/github" : "/hooks/gitlab";

    /// <summary>GitHub: X-GitHub-Delivery. GitLab: Idempotency-Key when present, else X-Gitlab-Event-UUID.</summary>
    public static string? DeliveryKey(MirrorSide forge, Func<string, string?> header)
    {
        var id = forge == MirrorSide.GitHub
            ? header("X-GitHub-Delivery")
            : header("Idempotency-Key") is { Length: > 0 } idempotency ? idempotency : header("X-Gitlab-Event-UUID");
        return string.IsNullOrWhiteSpace(id) ? null : $"{forge}:{id.Trim()}";
    }

    private static string? Text(JsonElement root, params string[] path)
    {
        var node = root;
        foreach (var name in path)
        {
            if (node.ValueKind != JsonValueKind.Object || !node.TryGetProperty(name, out node)) return null;
        }
        return node.ValueKind == JsonValueKind.String ? node.GetString() : null;
    }
}
