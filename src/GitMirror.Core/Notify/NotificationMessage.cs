using System.Globalization;
using System.Text;
using System.Text.Json;
using GitMirror.Core.Config;
using GitMirror.Core.Report;

namespace GitMirror.Core.Notify;

/// <summary>
/// One message about a change of state. Only what a reader needs: names, paths, refs, the status,
/// the (already redacted) error and the repair command; never a token or a URL of a side.
/// </summary>
public sealed record NotificationMessage
{
    public required string Event { get; init; }

    public string? Pair { get; init; }

    public string? GitHub { get; init; }

    public string? GitLab { get; init; }

    public string? Status { get; init; }

    public IReadOnlyList<string> DivergedRefs { get; init; } = [];

    public string? Error { get; init; }

    public int ConsecutiveFailures { get; init; }

    public required DateTimeOffset At { get; init; }

    /// <summary>For halted: the PowerShell line that lists the diverged refs into Repair-MirrorDivergence.</summary>
    public string? Repair { get; init; }

    /// <summary>For the token events: whose token.</summary>
    public MirrorSide? Forge { get; init; }

    public string? User { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>The pair's message after a run, from its recorded status.</summary>
    public static NotificationMessage ForPair(string @event, MirrorPair pair, MirrorPairStatus status, DateTimeOffset at) => new()
    {
        Event = @event,
        Pair = pair.Name,
        GitHub = pair.GitHub,
        GitLab = pair.GitLab,
        Status = status.Status?.ToString(),
        DivergedRefs = status.DivergedRefs,
        Error = status.LastError,
        ConsecutiveFailures = status.ConsecutiveFailures,
        At = at,
        Repair = @event == NotifyEvents.Halted ? RepairLine(pair) : null,
    };

    /// <summary>Lists the pair's diverged refs and repairs them in GitHub's favour (the person reads and edits before running it).</summary>
    public static string RepairLine(MirrorPair pair) =>
        RepairCommands.ListDiverged(pair.ConfigPath, pair.Name) + " | Repair-MirrorDivergence -Prefer GitHub";

    /// <summary>The webhook's JSON body: camelCase, every key present (null when it does not apply).</summary>
    public byte[] ToWebhookJson()
    {
        var buffer = new MemoryStream(512);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false }))
        {
            json.WriteStartObject();
            json.WriteString("event", Event);
            json.WriteString("pair", Pair);
            json.WriteString("github", GitHub);
            json.WriteString("gitlab", GitLab);
            json.WriteString("status", Status);
            json.WriteStartArray("divergedRefs");
            foreach (var r in DivergedRefs) json.WriteStringValue(r);
            json.WriteEndArray();
            json.WriteString("error", Error);
            json.WriteNumber("consecutiveFailures", ConsecutiveFailures);
            json.WriteString("at", Utc(At));
            if (Event == NotifyEvents.Halted) json.WriteString("repair", Repair);
            if (Forge is { } forge)
            {
                json.WriteString("forge", forge.ToString());
                json.WriteString("user", User);
                if (ExpiresAt is { } expires) json.WriteString("expiresAt", Utc(expires));
                else json.WriteNull("expiresAt");
            }
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>Slack's (and Mattermost's) incoming-webhook body: <c>{"text": "…"}</c>.</summary>
    public byte[] ToSlackJson()
    {
        var buffer = new MemoryStream(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("text", SlackText());
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>The text a person reads in a channel: what happened to which pair, which refs, and what to run.</summary>
    public string SlackText()
    {
        var text = new StringBuilder();
        var sides = GitHub is null ? "" : $" (GitHub {Escape(GitHub)} ↔ GitLab {Escape(GitLab ?? "")})";
        switch (Event)
        {
            case NotifyEvents.Halted:
                text.Append(CultureInfo.InvariantCulture, $":warning: GitMirror: pair *{Escape(Pair ?? "")}* halted{sides}: ");
                text.Append(DivergedRefs.Count == 1 ? "a ref diverged: " : $"{DivergedRefs.Count} refs diverged: ");
                text.Append(string.Join(", ", DivergedRefs.Select(Code)));
                text.Append(". Nothing is overwritten until a person chooses a side. To repair (check the list first):\n");
                text.Append(Code(Repair ?? ""));
                break;
            case NotifyEvents.Failed:
                text.Append(CultureInfo.InvariantCulture, $":x: GitMirror: pair *{Escape(Pair ?? "")}* failed {ConsecutiveFailures} runs in a row{sides}");
                if (Error is not null) text.Append(": ").Append(Escape(Error));
                break;
            case NotifyEvents.Recovered:
                text.Append(CultureInfo.InvariantCulture, $":white_check_mark: GitMirror: pair *{Escape(Pair ?? "")}* is mirrored again{sides}.");
                break;
            case NotifyEvents.TokenExpiring:
                text.Append(CultureInfo.InvariantCulture, $":hourglass: GitMirror: the {Forge} token{(User is null ? "" : $" of {Escape(User)}")} expires on {ExpiresAt:yyyy-MM-dd}");
                text.Append(ExpiresAt is { } expires ? $" (in {Math.Max(0, (int)Math.Ceiling((expires - At).TotalDays))} days)" : "").Append(". Renew it before mirroring stops.");
                break;
            case NotifyEvents.TokenRejected:
                text.Append(CultureInfo.InvariantCulture, $":no_entry: GitMirror: {Forge} refused the mirror's token");
                if (Error is not null) text.Append(": ").Append(Escape(Error));
                break;
            default:
                text.Append("GitMirror: ").Append(Escape(Event));
                break;
        }
        return text.ToString();
    }

    /// <summary>Slack's three control characters; the rest of the text is taken literally.</summary>
    public static string Escape(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    /// <summary>A code span; a backtick cannot be escaped inside one, so such text stays plain (escaped) rather than break the span.</summary>
    private static string Code(string text) => text.Contains('`', StringComparison.Ordinal) ? Escape(text) : $"`{Escape(text)}`";

    private static string Utc(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
