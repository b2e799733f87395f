using System.Collections.Concurrent;
using System.Diagnostics;
using GitMirror.Core.Notify;
using GitMirror.Core.Observe;
using GitMirror.Core.Plan;
using GitMirror.Core.Report;
using GitMirror.Core.Transport;
using GitMirror.Core.Unattended;

namespace GitMirror.Core.Engine;

/// <summary>What an unattended run adds around each pair's sync.</summary>
public sealed record SyncRunOptions
{
    /// <summary>
    /// Tell <c>token-rejected</c> at the first refused token, not only when the run's breaker opens:
    /// the service runs every pair sync as a run of its own, so no run of it sees three refusals.
    /// The notifier still tells it once until the token works again.
    /// </summary>
    public bool TellFirstRefusal { get; init; }

    /// <summary>How long to wait for another run's lock on a pair before reporting it Skipped.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// How long, at least, to wait for a holder that only reads the pair (Compare-MirrorRef, done in
    /// seconds) before reporting the pair Skipped; LockTimeout applies when it is longer.
    /// </summary>
    public TimeSpan ReadOnlyHolderWait { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A lock held longer than this is reported as an error, not a routine overlap.</summary>
    public TimeSpan StaleLockAge { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Append JSON lines here (one per ref update and per pair).</summary>
    public string? LogPath { get; init; }

    /// <summary>Write Prometheus text metrics here at the end of the run.</summary>
    public string? MetricsPath { get; init; }

    /// <summary>-WhatIf: observe and plan, but record no status and write no log line.</summary>
    public bool DryRun { get; init; }

    public MirrorRetryOptions? Retry { get; init; }

    /// <summary>The config's notification settings: who is told when a pair halts, fails or recovers.</summary>
    public Config.NotifySettings? Notify { get; init; }

    /// <summary>Retry bounds of a notification's delivery; default 3 tries of 10 s.</summary>
    public MirrorRetryOptions? NotifyDelivery { get; init; }
}

/// <summary>
/// One invocation of Sync-MirrorPair over many pairs: takes each pair's lock, runs the engine,
/// records status and log lines, stops hammering a host whose token is refused, and writes the
/// metrics at the end. Thread-safe: pairs run in parallel.
/// </summary>
public sealed class SyncRun
{
    private readonly SyncRunOptions _options;
    private readonly IMirrorLog _log;
    private readonly MirrorEngine _engine;
    private readonly SecretRedactor _redactor;
    private readonly JsonLineLog? _jsonLog;
    private readonly AuthCircuitBreaker _breaker = new();
    private readonly ConcurrentDictionary<string, StatusStore> _stores = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<MirrorPair> _configuredPairs;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    /// <param name="configuredPairs">Every pair of the config: for the redactor's tokens and the metrics of pairs not in this run.</param>
    public SyncRun(IReadOnlyList<MirrorPair> configuredPairs, SyncRunOptions options, IMirrorLog log)
    {
        _configuredPairs = configuredPairs;
        _options = options;
        _log = log;
        _engine = new MirrorEngine(log, options.Retry);
        _redactor = SecretRedactor.ForPairs(configuredPairs);
        RunId = JsonLineLog.NewRunId();
        if (options.LogPath is not null && !options.DryRun) _jsonLog = new JsonLineLog(options.LogPath, RunId, _redactor);
        if (options.Notify is { IsEmpty: false } notify && !options.DryRun && configuredPairs.Count > 0)
        {
            Notifier = new Notifier(notify, configuredPairs[0].CachePath, log, _redactor, _jsonLog, options.NotifyDelivery);
        }
    }

    public string RunId { get; }

    /// <summary>Sends this run's notifications; null when the config asks for none (or under -WhatIf).</summary>
    public Notifier? Notifier { get; }

    /// <summary>
    /// Syncs one pair and records it. Whatever goes wrong for this pair (an unwritable cache, a full
    /// disk while recording) is this pair's Failed result, never an exception that would stop the
    /// other pairs; only cancellation propagates.
    /// </summary>
    public async Task<SyncOutcome> SyncAsync(MirrorPair pair, Func<PlannedPush, bool> approve, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        try
        {
            return await SyncLockedAsync(pair, approve, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            // Outside the engine: the cache or its lock could not be opened (unwritable, full).
            _log.Verbose($"[{pair.Name}] Failed: {e.Message}");
            var failed = Record(new SyncOutcome
            {
                Result = new MirrorSyncResult
                {
                    Pair = pair,
                    Status = MirrorSyncStatus.Failed,
                    Error = _redactor.Redact(e.Message),
                    Duration = DateTimeOffset.UtcNow - started,
                    StartTime = started,
                },
                Failure = e,
            });
            await NotifyAsync(failed, lockHeld: false, cancellationToken).ConfigureAwait(false);
            return failed;
        }
    }

    private async Task<SyncOutcome> SyncLockedAsync(MirrorPair pair, Func<PlannedPush, bool> approve, CancellationToken cancellationToken)
    {
        if (pair.MissingOn is { } missing)
        {
            // An organisation's repository without its twin yet: nothing to mirror into, and not a failure.
            var why = Organizations.OrganizationPairs.NoTwinReason(pair, missing);
            return Record(new SyncOutcome
            {
                Result = new MirrorSyncResult { Pair = pair, Status = MirrorSyncStatus.Skipped, Error = why, StartTime = DateTimeOffset.UtcNow },
                Warning = $"[{pair.Name}] {why}",
            });
        }
        foreach (var url in new[] { pair.GitHubUrl, pair.GitLabUrl })
        {
            // Not Skipped (that means another run holds the pair): the pair did not sync, and its
            // health must say so. Only the first such pair per host writes an error.
            if (_breaker.ShouldSkip(AuthCircuitBreaker.HostOf(url), out var firstReport))
            {
                var message = _breaker.MessageFor(AuthCircuitBreaker.HostOf(url));
                var skipped = Record(new SyncOutcome
                {
                    Result = new MirrorSyncResult { Pair = pair, Status = MirrorSyncStatus.Failed, Error = message, StartTime = DateTimeOffset.UtcNow },
                    Failure = new GitTransportException(TransportFailureKind.Authentication, message),
                    CircuitOpen = true,
                    ErrorAlreadyReported = firstReport is null,
                });
                await NotifyAsync(skipped, lockHeld: false, cancellationToken).ConfigureAwait(false);
                return skipped;
            }
        }

        PairLock? held;
        try
        {
            held = await AcquireAsync(pair, cancellationToken).ConfigureAwait(false);
        }
        catch (Config.MirrorCacheUntrustedException e)
        {
            // Failed, and recorded only in the JSON log: the status files live in the cache refused here.
            var refused = new SyncOutcome
            {
                Result = new MirrorSyncResult { Pair = pair, Status = MirrorSyncStatus.Failed, Error = e.Message, StartTime = DateTimeOffset.UtcNow },
                Failure = e,
            };
            if (!_options.DryRun) _jsonLog?.Write(refused.Result);
            return refused;
        }
        using var _ = held;
        if (held is null)
        {
            var holder = PairLock.ReadHolder(pair.CachePath, pair.Name);
            var by = holder?.ToString() ?? "another run";
            if (holder is not null && holder.HeldFor(DateTimeOffset.UtcNow) > _options.StaleLockAge)
            {
                // Counts toward the failure threshold; told by whichever run gets the lock next.
                return Record(new SyncOutcome
                {
                    Result = new MirrorSyncResult
                    {
                        Pair = pair,
                        Status = MirrorSyncStatus.Failed,
                        Error = $"the pair's lock has been held by {by}, over {_options.StaleLockAge.TotalMinutes:0} minutes: is that run hung? ({PairLock.PathFor(pair.CachePath, pair.Name)})",
                        StartTime = DateTimeOffset.UtcNow,
                    },
                    Failure = new TimeoutException("stale lock"),
                });
            }
            var why = $"'{pair.Name}' is {PairLock.Describe(holder)}; skipped (-LockTimeoutSec waits longer)";
            return Record(new SyncOutcome
            {
                Result = new MirrorSyncResult { Pair = pair, Status = MirrorSyncStatus.Skipped, Error = why, StartTime = DateTimeOffset.UtcNow },
                Warning = why,
            });
        }

        var outcome = await _engine.SyncAsync(pair, approve, cancellationToken).ConfigureAwait(false);
        if (outcome.Failure is GitTransportException failure && failure.Data[RemoteEndpoint.HostKey] is string host
            && (_breaker.Observe(host, failure) || (_options.TellFirstRefusal && failure.Kind == TransportFailureKind.Authentication))
            && Notifier is not null)
        {
            // Once per opening of the breaker, not once per pair it then skips.
            var forge = failure.Data[RemoteEndpoint.SideKey] as MirrorSide?
                ?? (AuthCircuitBreaker.HostOf(pair.GitHubUrl) == host ? MirrorSide.GitHub : MirrorSide.GitLab);
            await Quietly(pair, () => Notifier.TokenRejectedAsync(forge, host, _redactor.Redact(failure.Message)!, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        var recorded = Record(Redacted(outcome));
        await NotifyAsync(recorded, lockHeld: true, cancellationToken).ConfigureAwait(false);
        return recorded;
    }

    /// <summary>
    /// Tells about the pair's change of state, if any, after its status was recorded. It needs the
    /// pair's lock so that two processes never tell the same change: without it, it tries to take it
    /// at once and leaves the telling to the holder when another run has it.
    /// </summary>
    private async Task NotifyAsync(SyncOutcome outcome, bool lockHeld, CancellationToken cancellationToken)
    {
        if (Notifier is null || outcome.Declined.Count > 0) return;
        var pair = outcome.Result.Pair;
        if (outcome.Result.Status is MirrorSyncStatus.UpToDate or MirrorSyncStatus.Synced)
        {
            foreach (var url in new[] { pair.GitHubUrl, pair.GitLabUrl })
            {
                await Quietly(pair, () => Notifier.TokenAcceptedAsync(AuthCircuitBreaker.HostOf(url), cancellationToken), cancellationToken).ConfigureAwait(false);
            }
        }
        var diverged = outcome.Plan?.Diverged ?? [];
        if (lockHeld)
        {
            await Quietly(pair, () => Notifier.PairRecordedAsync(pair, diverged, cancellationToken), cancellationToken).ConfigureAwait(false);
            return;
        }
        PairLock? held = null;
        try
        {
            held = await PairLock.TryAcquireAsync(pair.CachePath, pair.Name, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Config.MirrorCacheUntrustedException)
        {
            _log.Verbose($"[{pair.Name}] No notification: the pair's lock cannot be taken ({e.Message})");
        }
        if (held is null) return;
        using (held)
        {
            await Quietly(pair, () => Notifier.PairRecordedAsync(pair, diverged, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A notification never changes the pair's result: whatever fails is a warning.</summary>
    private async Task Quietly(MirrorPair pair, Func<Task> notify, CancellationToken cancellationToken)
    {
        try
        {
            await notify().ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            _log.Warning($"[{pair.Name}] Notification skipped: {_redactor.Redact(e.Message)}");
        }
    }

    /// <summary>
    /// The pair's lock, waiting up to LockTimeout; when the holder only reads (Compare-MirrorRef), up
    /// to ReadOnlyHolderWait at least, since it will be done in seconds. Null when it stayed busy.
    /// </summary>
    private async Task<PairLock?> AcquireAsync(MirrorPair pair, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        var held = await PairLock.TryAcquireAsync(pair.CachePath, pair.Name, _options.LockTimeout, cancellationToken).ConfigureAwait(false);
        while (held is null && PairLock.ReadHolder(pair.CachePath, pair.Name) is { ReadOnly: true } reader
            && waited.Elapsed < _options.ReadOnlyHolderWait)
        {
            _log.Verbose($"[{pair.Name}] Pair is {PairLock.Describe(reader)}; waiting up to {_options.ReadOnlyHolderWait.TotalSeconds:0} s");
            // Short steps: the next holder may be a sync, which is not waited for beyond LockTimeout.
            var step = TimeSpan.FromMilliseconds(Math.Min(1000, (_options.ReadOnlyHolderWait - waited.Elapsed).TotalMilliseconds));
            held = await PairLock.TryAcquireAsync(pair.CachePath, pair.Name, step, cancellationToken).ConfigureAwait(false);
        }
        return held;
    }

    /// <summary>Writes the metrics (every configured pair, from the recorded status) when asked to.</summary>
    public void Complete(IReadOnlyCollection<MirrorSyncResult> results)
    {
        if (_options.MetricsPath is null || _options.DryRun) return;
        var statuses = _configuredPairs.GroupBy(p => p.CachePath)
            .SelectMany(g => Store(g.Key).ReadAll(g.Select(p => p.Name)))
            .ToList();
        MetricsWriter.Write(_options.MetricsPath, statuses, MirrorRunTotals.From(results, _clock.Elapsed));
        _log.Verbose($"Metrics written to {_options.MetricsPath}");
    }

    /// <summary>
    /// Records the pair's status and log lines. A failure to record (full disk, unwritable file)
    /// makes the pair Failed, keeping what was pushed: the run must never look clean after it.
    /// </summary>
    private SyncOutcome Record(SyncOutcome outcome)
    {
        if (_options.DryRun) return Preview(outcome);
        try
        {
            // Pushes declined at a -Confirm prompt: a person's partial run leaves the recorded status
            // (and its health) as the last full run left it; the log still tells what was pushed.
            if (outcome.Declined.Count == 0) Store(outcome.Result.Pair.CachePath).Record(outcome.Result);
            _jsonLog?.Write(outcome.Result);
            return outcome;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var result = outcome.Result;
            var error = $"{(result.Error is { } earlier ? earlier + "; " : "")}could not record the result: {e.Message}";
            _log.Verbose($"[{result.PairName}] Failed: {error}");
            var failed = new SyncOutcome
            {
                Result = new MirrorSyncResult
                {
                    Pair = result.Pair,
                    Status = MirrorSyncStatus.Failed,
                    Updates = result.Updates,
                    DivergedRefs = result.DivergedRefs,
                    Error = _redactor.Redact(error),
                    Duration = result.Duration,
                    StartTime = result.StartTime,
                },
                Plan = outcome.Plan,
                Failure = e,
            };
            try
            {
                _jsonLog?.Write(failed.Result); // the status file may be what failed
            }
            catch (Exception again) when (again is IOException or UnauthorizedAccessException)
            {
                _log.Verbose($"[{result.PairName}] The log could not be written either: {again.Message}");
            }
            return failed;
        }
    }

    /// <summary>
    /// Under -WhatIf every push was declined: the result a real run would give, with the pushes it
    /// would make as updates that did not succeed, so a preview can be filtered like a run.
    /// </summary>
    private static SyncOutcome Preview(SyncOutcome outcome)
    {
        var result = outcome.Result;
        var wouldPush = outcome.Declined.Count > 0 && result.Status == MirrorSyncStatus.Skipped;
        return new SyncOutcome
        {
            Result = new MirrorSyncResult
            {
                Pair = result.Pair,
                Status = wouldPush ? MirrorSyncStatus.Synced : result.Status,
                Updates = wouldPush
                    ? [.. outcome.Declined.Select(push => new MirrorRefUpdate
                    {
                        Ref = push.Ref,
                        Target = push.Target,
                        OldSha = push.OldSha,
                        NewSha = push.NewSha,
                        Message = "what if: would push",
                    })]
                    : result.Updates,
                DivergedRefs = result.DivergedRefs,
                Error = wouldPush ? null : result.Error,
                Duration = result.Duration,
                StartTime = result.StartTime,
                WhatIf = true,
            },
            Plan = outcome.Plan,
            Failure = outcome.Failure,
            CircuitOpen = outcome.CircuitOpen,
            ErrorAlreadyReported = outcome.ErrorAlreadyReported,
            Warning = outcome.Warning,
        };
    }

    private StatusStore Store(string cachePath) => _stores.GetOrAdd(cachePath, path => new StatusStore(path, _log, _redactor));

    private SyncOutcome Redacted(SyncOutcome outcome)
    {
        var result = outcome.Result;
        if (result.Error is null || _redactor.Redact(result.Error) == result.Error) return outcome;
        return new SyncOutcome
        {
            Result = new MirrorSyncResult
            {
                Pair = result.Pair,
                Status = result.Status,
                Updates = result.Updates,
                DivergedRefs = result.DivergedRefs,
                Error = _redactor.Redact(result.Error),
                Duration = result.Duration,
                StartTime = result.StartTime,
            },
            Plan = outcome.Plan,
            Failure = outcome.Failure,
            Declined = outcome.Declined,
        };
    }
}
