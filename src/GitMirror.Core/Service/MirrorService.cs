using System.Collections.Concurrent;
using System.Diagnostics;
using GitMirror.Core.Config;
using GitMirror.Core.Engine;
using GitMirror.Core.Organizations;
using GitMirror.Core.Report;

namespace GitMirror.Core.Service;

/// <summary>How <c>gitmirror serve</c> runs (design.md §8).</summary>
public sealed record MirrorServiceOptions
{
    public required MirrorConfig Config { get; init; }

    /// <summary>The webhook secret both forges sign with (never logged).</summary>
    public required string Secret { get; init; }

    /// <summary>-Shard/-Peers; null: this process owns every pair.</summary>
    public ShardRouting? Routing { get; init; }

    /// <summary>-PollIntervalSec; zero: no poll at all, not even at start.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>-LogPath: the JSON lines of syncs and events.</summary>
    public string? LogPath { get; init; }

    /// <summary>How long a burst of events for one pair is gathered into one sync.</summary>
    public TimeSpan Debounce { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Pairs synced at the same time.</summary>
    public int Concurrency { get; init; } = 8;

    /// <summary>How long a sync waits for another run (a cron Sync-MirrorPair, a repair) that holds the pair.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How the organisations' listings are made (tests give their handler and clock).</summary>
    public OrganizationExpanderOptions? Organizations { get; init; }

    /// <summary>
    /// The shortest time between two listings of one organisation asked for by events naming a
    /// repository it lacks: a flood of events for unknown repositories costs one listing per interval.
    /// </summary>
    public TimeSpan OrganizationRecheckInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an event waits for such a listing before it is answered without it (the poll catches up).</summary>
    public TimeSpan OrganizationRecheckWait { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>Refused webhooks: the first few of each interval are logged one by one, then one summary.</summary>
    public TimeSpan RefusalLogInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The least time between the starts of one pair's syncs, however many events arrive.</summary>
    public TimeSpan MinSyncInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the credentials are checked (at start, then this often); zero: never.</summary>
    public TimeSpan CredentialCheckInterval { get; init; } = TimeSpan.FromHours(1);
}

/// <summary>
/// The long-running form of Sync-MirrorPair: webhook decisions and the poll loop become requests to
/// the <see cref="PairSyncScheduler"/>, whose syncs are ordinary <see cref="SyncRun"/> syncs — the
/// same locks, status files, JSON log and metrics as the cmdlet. Knows nothing of HTTP.
/// </summary>
public sealed class MirrorService
{
    private readonly MirrorServiceOptions _options;
    private readonly IMirrorLog _log;
    private readonly Action<string> _say;
    private readonly JsonLineLog? _eventLog;
    private readonly Stopwatch _uptime = Stopwatch.StartNew();
    private readonly CancellationTokenSource _stopping = new();
    private readonly StatusStore _statuses;
    private readonly PairDirectory _directory;
    private readonly MirrorConfig _baseConfig;
    private readonly OrganizationExpander? _expander;
    private readonly SemaphoreSlim _expanding = new(1, 1);
    private readonly ConcurrentDictionary<string, long> _lastRecheck = new(StringComparer.OrdinalIgnoreCase);
    private volatile MirrorConfig _config;
    private volatile IReadOnlyList<MirrorPair> _ownedPairs;
    private Task? _pollLoop;
    private readonly RefusalThrottle _refusals;
    private Task? _credentialLoop;

    /// <param name="say">One line per sync and per refused or forwarded event, for the console or journal.</param>
    public MirrorService(MirrorServiceOptions options, IMirrorLog log, Action<string>? say = null)
    {
        _options = options;
        _log = log;
        _say = say ?? (_ => { });
        var pairs = options.Config.Pairs;
        _config = options.Config;
        _ownedPairs = Owned(pairs);
        // Organisation pairs come and go with the listings; the repos: pairs stay.
        _baseConfig = options.Config;
        if (options.Config.Organizations.Count > 0)
        {
            _expander = new OrganizationExpander(log, options.Organizations);
            _baseConfig = options.Config with { Pairs = [.. pairs.Where(p => p.Organization is null)] };
        }
        var redactor = SecretRedactor.FromEnvironment(pairs.SelectMany(p => new[] { p.GitHubTokenEnv, p.GitLabTokenEnv })
            .Concat([options.Config.GitHub.TokenEnv, options.Config.GitLab.TokenEnv]));
        if (options.LogPath is not null) _eventLog = new JsonLineLog(options.LogPath, JsonLineLog.NewRunId(), redactor);
        _statuses = new StatusStore(options.Config.CachePath, log, redactor);
        _directory = new PairDirectory(pairs);
        Receiver = new WebhookReceiver(_directory, options.Secret, new DeliveryMemory(), options.Routing);
        _refusals = new RefusalThrottle(options.RefusalLogInterval);
        Scheduler = new PairSyncScheduler(SyncAsync, options.Debounce, options.Concurrency, Completed, options.MinSyncInterval);
        Credentials = new CredentialWatch(options.Config, log, options.CredentialCheckInterval);
    }

    /// <summary>The credentials as last checked, for <c>/</c> and <c>/metrics</c>.</summary>
    public CredentialWatch Credentials { get; }

    /// <summary>The config with the organisations as last expanded.</summary>
    public MirrorConfig Config => _config;

    public ShardRouting? Routing => _options.Routing;

    /// <summary>The pairs this process polls and syncs: its shard's, or all.</summary>
    public IReadOnlyList<MirrorPair> OwnedPairs => _ownedPairs;

    /// <summary>
    /// Lists the organisations again (from the cache while it is fresh; <paramref name="recheck"/>'s
    /// rules from the forge now) and serves the pairs found. A rule whose listing failed keeps the
    /// pairs it had: an outage of a forge's API does not stop their syncs.
    /// </summary>
    public async Task RefreshOrganizationsAsync(IReadOnlyCollection<OrganizationRule>? recheck, CancellationToken cancellationToken)
    {
        if (_expander is null) return;
        await _expanding.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var expansion = await _expander.ExpandAsync(_baseConfig, cancellationToken, recheck).ConfigureAwait(false);
            var pairs = expansion.Config.Pairs.ToList();
            foreach (var failure in expansion.Failures)
            {
                _say($"Organisation {failure.Rule.GitHub}: {failure.Message}");
                pairs.AddRange(_config.Pairs.Where(p => string.Equals(p.Organization, failure.Rule.GitHub, StringComparison.OrdinalIgnoreCase)
                    && !pairs.Any(q => string.Equals(q.Name, p.Name, StringComparison.OrdinalIgnoreCase))));
            }
            var before = _config.Pairs.Count;
            _config = expansion.Config with { Pairs = pairs };
            _ownedPairs = Owned(pairs);
            _directory.Replace(pairs);
            if (pairs.Count != before) _say($"Organisations listed: {pairs.Count} pairs (were {before})");
        }
        finally
        {
            _expanding.Release();
        }
    }

    /// <summary>
    /// The organisation rule to list again for an event ignored because no pair names its
    /// repository, when a rule matches the repository and was not listed for that reason within
    /// <see cref="MirrorServiceOptions.OrganizationRecheckInterval"/>; null otherwise.
    /// </summary>
    public OrganizationRule? RuleToRecheck(WebhookDecision decision)
    {
        if (_expander is null || decision is not { Outcome: WebhookOutcome.Ignored, Pair: null, Path: { } path }) return null;
        if (OrganizationExpander.RuleFor(_baseConfig, decision.Forge, path) is not { } rule) return null;
        var now = Stopwatch.GetTimestamp();
        var claimed = false;
        _lastRecheck.AddOrUpdate(rule.GitHub, _ => { claimed = true; return now; }, (_, last) =>
        {
            claimed = Stopwatch.GetElapsedTime(last, now) >= _options.OrganizationRecheckInterval;
            return claimed ? now : last;
        });
        return claimed ? rule : null;
    }

    /// <summary>Lists <paramref name="rule"/>'s organisation now, then decides the event again on the pairs found.</summary>
    public async Task<WebhookDecision> RecheckAsync(OrganizationRule rule, WebhookDecision decision, Func<WebhookDecision> decideAgain)
    {
        var refresh = RefreshOrganizationsAsync([rule], _stopping.Token);
        try
        {
            await refresh.WaitAsync(_options.OrganizationRecheckWait).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _ = refresh.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
            return decision with { Reason = $"{decision.Reason}; the listing of organisation {rule.GitHub} is being refreshed, and the next poll syncs the repository" };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _say($"Organisation {rule.GitHub}: listing failed: {e.Message}");
            return decision;
        }
        return decideAgain();
    }

    private IReadOnlyList<MirrorPair> Owned(IReadOnlyList<MirrorPair> pairs) =>
        _options.Routing is { } routing ? [.. routing.Shard.Select(pairs)] : pairs;


    public WebhookReceiver Receiver { get; }

    public PairSyncScheduler Scheduler { get; }

    public ServiceMetrics Metrics { get; } = new();

    /// <summary>Starts the poll loop (one poll at once, then every interval) unless the interval is zero.</summary>
    public void Start()
    {
        _credentialLoop = Task.Run(() => Credentials.RunAsync(_stopping.Token));
        if (_options.PollInterval <= TimeSpan.Zero) return;
        _pollLoop = Task.Run(() => PollAsync(_stopping.Token));
    }

    /// <summary>Counts and logs a decision; schedules the sync of an accepted event.</summary>
    /// <param name="receivedAt">Stopwatch timestamp of the request's arrival.</param>
    public void Handle(WebhookDecision decision, long receivedAt)
    {
        Metrics.CountEvent(decision.Forge, decision.MetricOutcome);
        if (decision.Outcome == WebhookOutcome.Forwarded) return; // logged once the owner answered (LogForward)
        if (decision.Outcome is WebhookOutcome.Unauthorized or WebhookOutcome.BadRequest or WebhookOutcome.TooLarge or WebhookOutcome.Busy or WebhookOutcome.TimedOut)
        {
            // Anyone can send refusals: a few lines per interval, then one summary (the metric counts all).
            var own = _refusals.ShouldLog(decision.Forge.ToString(), out var summary);
            if (summary is not null)
            {
                _say(summary);
                LogSummary(decision.Forge, summary);
            }
            if (!own) return;
            _say($"{decision.Forge} webhook refused ({decision.HttpStatus}): {decision.Reason}");
        }
        Log(decision, decision.HttpStatus.ToString(System.Globalization.CultureInfo.InvariantCulture), decision.Reason);
        if (decision is { Outcome: WebhookOutcome.Accepted, Pair: { } pair }) Scheduler.Request(pair, receivedAt);
    }

    /// <summary>Logs what became of a forwarded event: the owner's answer, or why it could not be reached (the owner's poll catches up).</summary>
    public void LogForward(WebhookDecision decision, int? ownerStatus, string? failure)
    {
        var status = ownerStatus?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unreachable";
        Log(decision, status, failure is null ? decision.Reason : $"{decision.Reason}: {failure}; dropped, the owner's poll catches up");
        if (failure is not null) _say($"Forwarding {decision.Forge} event of '{decision.Pair?.Name}' to {decision.ForwardTo} failed: {failure}");
    }

    public IReadOnlyList<MirrorPairStatus> Statuses() => _statuses.ReadAll(OwnedPairs);

    public string MetricsText() => Metrics.Format(Statuses(), _uptime.Elapsed) + CredentialWatch.FormatMetrics(Credentials.Current);

    /// <summary>Stops polling, refuses new syncs, cancels running ones (their leases make that safe) and waits up to <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        _stopping.Cancel();
        var scheduler = Scheduler.StopAsync(grace);
        if (_pollLoop is not null) await Task.WhenAny(_pollLoop, Task.Delay(grace)).ConfigureAwait(false);
        if (_credentialLoop is not null) await Task.WhenAny(_credentialLoop, Task.Delay(grace)).ConfigureAwait(false);
        await scheduler.ConfigureAwait(false);
    }

    private async Task PollAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var timer = new PeriodicTimer(_options.PollInterval);
            do
            {
                try
                {
                    await RefreshOrganizationsAsync(null, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _say($"Listing the organisations failed: {e.Message}");
                }
                _log.Verbose($"Poll: {OwnedPairs.Count} pairs");
                foreach (var pair in OwnedPairs) Scheduler.Request(pair);
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One pair's sync as Sync-MirrorPair runs it, with its own run id in the JSON log.</summary>
    private async Task<MirrorSyncResult?> SyncAsync(MirrorPair pair, CancellationToken cancellationToken)
    {
        var run = new SyncRun(_config.Pairs, new SyncRunOptions { LockTimeout = _options.LockTimeout, LogPath = _options.LogPath, Notify = _config.Notify, TellFirstRefusal = true }, _log);
        try
        {
            var outcome = await run.SyncAsync(pair, _ => true, cancellationToken).ConfigureAwait(false);
            var result = outcome.Result;
            var pushed = result.Updates.Count(u => u.Succeeded);
            _say($"[{pair.Name}] {result.Status}: {pushed} pushed, {result.DivergedRefs.Length} diverged, {result.Duration.TotalSeconds:0.00} s"
                + (result.Error is { } error ? $": {error}" : ""));
            return result;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _say($"[{pair.Name}] sync cancelled by shutdown");
            return null;
        }
        catch (Exception e)
        {
            // The engine reports a pair's failures as its result; this is a bug or a broken cache directory.
            _say($"[{pair.Name}] sync failed: {e.Message}");
            return null;
        }
    }

    private void Completed(MirrorSyncResult result, IReadOnlyList<long> events)
    {
        Metrics.CountSync(result);
        if (result.Status is not (MirrorSyncStatus.Synced or MirrorSyncStatus.UpToDate) || result.DivergedRefs.Length > 0) return;
        foreach (var received in events) Metrics.ObserveLatency(PairSyncScheduler.SecondsSince(received));
    }

    private void LogSummary(MirrorSide forge, string summary)
    {
        try
        {
            _eventLog?.WriteServiceLine(null, null, "refused", forge.ToString(), null, null, "suppressed", summary);
        }
        catch (IOException e)
        {
            _log.Warning($"Cannot write the JSON log {_options.LogPath}: {e.Message}");
        }
    }

    private void Log(WebhookDecision decision, string status, string? reason)
    {
        try
        {
            _eventLog?.WriteServiceLine(decision.Pair?.Name, decision.Ref, decision.LogAction, decision.Forge.ToString(),
                decision.Before, decision.After, status, reason);
        }
        catch (IOException e)
        {
            _log.Warning($"Cannot write the JSON log {_options.LogPath}: {e.Message}");
        }
    }
}
