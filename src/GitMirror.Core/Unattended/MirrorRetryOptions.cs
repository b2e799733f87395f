namespace GitMirror.Core.Unattended;

/// <summary>Bounds of <see cref="MirrorRetry"/>. Defaults suit a cron run every few minutes.</summary>
public sealed record MirrorRetryOptions
{
    /// <summary>Tries in all, the first included.</summary>
    public int MaxAttempts { get; init; } = 4;

    /// <summary>Delay before the first retry; doubled for each further one, with jitter.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Longest single wait. A server that asks for longer (a GitHub rate limit resetting in 40
    /// minutes) is not retried: the error says when, and the next scheduled run comes back.
    /// </summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Most time spent waiting between attempts of one operation.</summary>
    public TimeSpan MaxTotalDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Time limit of each attempt; null for none. Leave it null for fetches and pushes, whose
    /// transport has its own idle timeout, since a big transfer may legitimately take minutes.
    /// </summary>
    public TimeSpan? AttemptTimeout { get; init; }

    /// <summary>The clock of the delays and timeouts (tests pass a fake or tiny delays).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Source of the jitter.</summary>
    public Random Random { get; init; } = Random.Shared;
}
