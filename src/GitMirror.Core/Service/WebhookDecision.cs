namespace GitMirror.Core.Service;

/// <summary>What the service does with one webhook request (design.md §8).</summary>
public enum WebhookOutcome
{
    /// <summary>202: a push of a pair this process owns; its sync is scheduled.</summary>
    Accepted,

    /// <summary>202: a push of a pair another replica owns; passed on unchanged.</summary>
    Forwarded,

    /// <summary>200 with <c>{"ignored": reason}</c>: signed, but nothing for us to do.</summary>
    Ignored,

    /// <summary>200: GitHub's ping when a hook is created.</summary>
    Ping,

    /// <summary>401: missing or wrong signature or token.</summary>
    Unauthorized,

    /// <summary>400: the body is not JSON (or not the event's shape).</summary>
    BadRequest,

    /// <summary>413: the body is over <see cref="WebhookReceiver.MaxBodyBytes"/>.</summary>
    TooLarge,

    /// <summary>503 with Retry-After: the bodies in flight already hold the memory budget.</summary>
    Busy,

    /// <summary>408: the body did not arrive within the time a body may take.</summary>
    TimedOut,
}

/// <param name="Reason">Why (ignored, refused, or where forwarded); safe to show and log.</param>
/// <param name="Ref">The pushed ref, when the event names one.</param>
/// <param name="Before">The ref's old value as the forge reported it.</param>
/// <param name="After">The ref's new value as the forge reported it.</param>
/// <param name="ForwardTo">The owner's hook URL (Forwarded only).</param>
/// <param name="Path">The repository path the event names, when no pair does (an organisation's listing may lack it).</param>
public sealed record WebhookDecision(
    WebhookOutcome Outcome,
    MirrorSide Forge,
    string? Reason = null,
    MirrorPair? Pair = null,
    string? Ref = null,
    string? Before = null,
    string? After = null,
    Uri? ForwardTo = null,
    string? Path = null)
{
    public int HttpStatus => Outcome switch
    {
        WebhookOutcome.Accepted or WebhookOutcome.Forwarded => 202,
        WebhookOutcome.Ignored or WebhookOutcome.Ping => 200,
        WebhookOutcome.Unauthorized => 401,
        WebhookOutcome.BadRequest => 400,
        WebhookOutcome.TooLarge => 413,
        WebhookOutcome.Busy => 503,
        WebhookOutcome.TimedOut => 408,
        _ => 500,
    };

    /// <summary>The label of gitmirror_webhook_events_total's outcome.</summary>
    public string MetricOutcome => Outcome switch
    {
        WebhookOutcome.Accepted => "accepted",
        WebhookOutcome.Forwarded => "forwarded",
        WebhookOutcome.Ignored => "ignored",
        WebhookOutcome.Ping => "ping",
        WebhookOutcome.Unauthorized => "unauthorized",
        WebhookOutcome.BadRequest => "bad_request",
        WebhookOutcome.TooLarge => "too_large",
        WebhookOutcome.Busy => "busy",
        WebhookOutcome.TimedOut => "timed_out",
        _ => "other",
    };

    /// <summary>The JSON log line's action: event, forwarded, ignored or refused.</summary>
    public string LogAction => Outcome switch
    {
        WebhookOutcome.Accepted => "event",
        WebhookOutcome.Forwarded => "forwarded",
        WebhookOutcome.Ignored or WebhookOutcome.Ping => "ignored",
        _ => "refused",
    };
}
