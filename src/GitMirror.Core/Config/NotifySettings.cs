namespace GitMirror.Core.Config;

/// <summary>How a notification is shaped: a JSON document of our own, or a Slack/Mattermost incoming-webhook text.</summary>
public enum NotifyKind
{
    Webhook,
    Slack,
}

/// <summary>The events a <c>notify:</c> entry may subscribe to, by their YAML names.</summary>
public static class NotifyEvents
{
    public const string Halted = "halted";
    public const string Failed = "failed";
    public const string Recovered = "recovered";
    public const string TokenExpiring = "token-expiring";
    public const string TokenRejected = "token-rejected";

    public static IReadOnlyList<string> All { get; } = [Halted, Failed, Recovered, TokenExpiring, TokenRejected];
}

/// <summary>
/// One <c>notify:</c> entry. The URL is a secret (a Slack webhook URL is its own credential): it is
/// never put in a message, log line, error or status file; errors name the entry and the host only.
/// </summary>
public sealed record NotifyTarget
{
    /// <summary>Position in the <c>notify:</c> list (0-based), for messages: <c>notify[1]</c>.</summary>
    public required int Index { get; init; }

    public required NotifyKind Kind { get; init; }

    /// <summary>The URL written in the file (<c>url:</c>); null when it comes from <see cref="UrlEnv"/>.</summary>
    public string? Url { get; init; }

    /// <summary>The environment variable holding the URL (<c>urlEnv:</c>), read and checked at each delivery.</summary>
    public string? UrlEnv { get; init; }

    /// <summary>The environment variable holding the HMAC key of the webhook signature (<c>secretEnv:</c>).</summary>
    public string? SecretEnv { get; init; }

    public required IReadOnlySet<string> Events { get; init; }

    /// <summary>Plain http to a host that is not loopback is accepted.</summary>
    public bool AllowInsecureHttp { get; init; }

    public string Name => $"notify[{Index}]";

    public bool Wants(string @event) => Events.Contains(@event);
}

/// <summary>The top-level <c>notify:</c>, <c>failureThreshold:</c>, <c>tokenExpiryWarningDays:</c> and <c>openIssues:</c> keys.</summary>
public sealed record NotifySettings
{
    public const int DefaultFailureThreshold = 3;
    public const int DefaultTokenExpiryWarningDays = 14;

    public IReadOnlyList<NotifyTarget> Targets { get; init; } = [];

    /// <summary>Consecutive Failed runs before <c>failed</c> is sent.</summary>
    public int FailureThreshold { get; init; } = DefaultFailureThreshold;

    public int TokenExpiryWarningDays { get; init; } = DefaultTokenExpiryWarningDays;

    /// <summary>Open an issue on both repositories when a pair halts; close it when the pair recovers.</summary>
    public bool OpenIssues { get; init; }

    /// <summary>Nothing to send and no issue to open: the pair's notification state is left alone.</summary>
    public bool IsEmpty => Targets.Count == 0 && !OpenIssues;

    public static NotifySettings None { get; } = new();
}
