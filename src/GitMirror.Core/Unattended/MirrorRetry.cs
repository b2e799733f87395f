using GitMirror.Core.Transport;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace GitMirror.Core.Unattended;

/// <summary>
/// The retry pipeline of every network operation (list refs, fetch, push, forge API calls).
/// Retries transient failures (timeouts, unreachable, 5xx, rate limits) with exponential backoff
/// and jitter, honours the server's Retry-After, and gives up within bounded attempts and total
/// waiting. Never retries Authentication, Permission or NotFound: repeating a refused token only
/// brings an IP ban closer. Callers always see a <see cref="GitTransportException"/> for a network
/// failure, whatever the operation threw, and an <see cref="OperationCanceledException"/> when they cancel.
/// </summary>
/// <example><code>
/// var retry = MirrorRetry.Create("GitLab myorg/repo1", log);
/// var refs = await retry.ExecuteAsync(async ct => await lister.ListAsync(url, ct), cancellationToken);
/// </code></example>
public static class MirrorRetry
{
    private static readonly ResiliencePropertyKey<TimeSpan> WaitedKey = new("GitMirror.Retry.Waited");

    /// <param name="what">Names the operation's side and repository in messages; never a token.</param>
    public static ResiliencePipeline Create(string what, IMirrorLog log, MirrorRetryOptions? options = null)
    {
        options ??= new MirrorRetryOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxAttempts, 1);
        var builder = new ResiliencePipelineBuilder { TimeProvider = options.TimeProvider };

        if (options.MaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxAttempts - 1,
                ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Outcome.Exception, args.Context, options, what, log)),
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(DelayFor(args.Outcome.Exception, args.AttemptNumber, args.Context, options)),
                OnRetry = args =>
                {
                    args.Context.Properties.Set(WaitedKey, Waited(args.Context) + args.RetryDelay);
                    log.Warning($"{args.Outcome.Exception?.Message} Retrying in {args.RetryDelay.TotalSeconds:0.###} s " +
                        $"(attempt {args.AttemptNumber + 2} of {options.MaxAttempts}).");
                    return default;
                },
            });
        }
        // Inside the retry, so it sees typed failures; outside the attempt timeout, so it sees its rejection too.
        builder.AddStrategy(_ => new TranslateFailures(what), new TranslateFailuresOptions());
        if (options.AttemptTimeout is { } attemptTimeout)
        {
            builder.AddTimeout(new TimeoutStrategyOptions { Timeout = attemptTimeout });
        }
        return builder.Build();
    }

    /// <summary>True when trying again can help: a transient network failure, not the caller's cancellation.</summary>
    public static bool IsRetryable(Exception? error) => error is GitTransportException { IsTransient: true };

    private static bool ShouldRetry(Exception? error, ResilienceContext context, MirrorRetryOptions options, string what, IMirrorLog log)
    {
        if (!IsRetryable(error) || context.CancellationToken.IsCancellationRequested) return false;
        var left = options.MaxTotalDelay - Waited(context);
        if (left <= TimeSpan.Zero) return false;
        if (((GitTransportException)error!).RetryAfter is { } asked && (asked > options.MaxDelay || asked > left))
        {
            // Waiting that long would hold up every other pair of the run; the next scheduled run retries.
            log.Verbose($"{what}: not retrying, the server asks to wait {asked.TotalSeconds:0} s.");
            return false;
        }
        return true;
    }

    private static TimeSpan DelayFor(Exception? error, int attempt, ResilienceContext context, MirrorRetryOptions options)
    {
        var delay = (error as GitTransportException)?.RetryAfter ?? Backoff(attempt, options);
        var left = options.MaxTotalDelay - Waited(context);
        return delay > left ? left : delay;
    }

    /// <summary>BaseDelay·2^attempt, capped at MaxDelay, randomly between half and all of it, so many pairs that failed together do not retry in lockstep.</summary>
    private static TimeSpan Backoff(int attempt, MirrorRetryOptions options)
    {
        var exponential = options.BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30));
        var capped = Math.Min(exponential, options.MaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.5 + (options.Random.NextDouble() / 2)));
    }

    private static TimeSpan Waited(ResilienceContext context) => context.Properties.GetValue(WaitedKey, TimeSpan.Zero);

    /// <summary>Turns whatever one attempt threw into a <see cref="GitTransportException"/> when it was a network failure.</summary>
    private sealed class TranslateFailures(string what) : ResilienceStrategy
    {
        protected override async ValueTask<Outcome<TResult>> ExecuteCore<TResult, TState>(
            Func<ResilienceContext, TState, ValueTask<Outcome<TResult>>> callback, ResilienceContext context, TState state)
        {
            var outcome = await callback(context, state).ConfigureAwait(context.ContinueOnCapturedContext);
            return outcome.Exception is { } error && TransportFailures.FromException(error, what, context.CancellationToken) is { } typed
                   && !ReferenceEquals(typed, error)
                ? Outcome.FromException<TResult>(typed)
                : outcome;
        }
    }

    private sealed class TranslateFailuresOptions : ResilienceStrategyOptions;
}
