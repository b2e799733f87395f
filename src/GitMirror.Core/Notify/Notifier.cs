using System.Text.Json;
using System.Text.Json.Nodes;
using GitMirror.Core.Config;
using GitMirror.Core.Report;
using GitMirror.Core.Unattended;

namespace GitMirror.Core.Notify;

/// <summary>
/// Tells people about changes of state: a pair halted, failed <c>failureThreshold</c> times in a
/// row, or recovered; a token about to expire or refused. One message per change, whichever process
/// saw it: the state lives in the cache (the pair's status file, written under the pair's lock;
/// a lock-guarded file for the tokens). A message that cannot be delivered is a warning, a JSON log
/// line (<c>"action": "notify"</c>) and the pair's LastNotificationError; it never changes a sync's
/// result, and the next change of state is sent as usual.
/// </summary>
public sealed class Notifier
{
    public const string LogAction = "notify";
    private const string TokenStateDirectory = "notify";
    private const string TokenStateFile = "tokens.json";

    private readonly string _cachePath;
    private readonly IMirrorLog _log;
    private readonly SecretRedactor _redactor;
    private readonly JsonLineLog? _jsonLog;
    private readonly TimeProvider _time;
    private readonly NotificationDelivery _delivery;
    private readonly IssueReporter _issues;

    // False once the token file is known to hold no refusal: then a successful sync need not read it.
    private bool _rejectedSeen = true;

    /// <param name="cachePath">The cache holding the status files (the config's <c>cache:</c>).</param>
    /// <param name="redactor">The tokens in use, kept out of every message and error.</param>
    /// <param name="jsonLog">The run's -LogPath log, for the <c>notify</c> lines.</param>
    /// <param name="delivery">Retry bounds of a delivery; default 3 tries of 10 s.</param>
    public Notifier(NotifySettings settings, string cachePath, IMirrorLog log, SecretRedactor? redactor = null,
        JsonLineLog? jsonLog = null, MirrorRetryOptions? delivery = null, TimeProvider? time = null)
    {
        Settings = settings;
        _cachePath = cachePath;
        _log = log;
        _redactor = redactor ?? SecretRedactor.None;
        _jsonLog = jsonLog;
        _time = time ?? TimeProvider.System;
        _delivery = new NotificationDelivery(log, delivery ?? NotificationDelivery.DefaultRetry, _redactor);
        _issues = new IssueReporter((pair, side) => Environment.GetEnvironmentVariable(side == MirrorSide.GitHub ? pair.GitHubTokenEnv : pair.GitLabTokenEnv));
    }

    /// <summary>The notifier of a loaded config, for callers outside a sync run (token checks).</summary>
    public static Notifier For(MirrorConfig config, IMirrorLog log, string? logPath = null)
    {
        var redactor = SecretRedactor.ForPairs(config.Pairs);
        return new Notifier(config.Notify, config.CachePath, log, redactor,
            logPath is null ? null : new JsonLineLog(logPath, JsonLineLog.NewRunId(), redactor));
    }

    public NotifySettings Settings { get; }

    /// <summary>
    /// After a pair's result was recorded, with the pair's lock held: sends the message its change of
    /// state calls for (if any), opens or closes the issues, and stores what was notified.
    /// </summary>
    /// <param name="diverged">The diverged refs' comparisons (both commits, ahead counts) when the run got that far.</param>
    public async Task PairRecordedAsync(MirrorPair pair, IReadOnlyList<MirrorRefComparison> diverged, CancellationToken cancellationToken)
    {
        if (Settings.IsEmpty) return;
        var store = new StatusStore(pair.CachePath, _log, _redactor, _time);
        var status = store.Read(pair.Name);
        var state = store.ReadNotification(pair.Name);
        var (@event, notified) = NotificationRules.Decide(state.Notified, status, Settings.FailureThreshold);
        if (@event is null) return;

        var at = _time.GetUtcNow();
        var errors = await SendAsync(NotificationMessage.ForPair(@event, pair, status, at), pair.Name, cancellationToken).ConfigureAwait(false);
        var (github, gitlab) = (state.GitHubIssue, state.GitLabIssue);
        if (Settings.OpenIssues && @event == NotifyEvents.Halted)
        {
            var opened = await _issues.OpenAsync(pair, diverged, status.DivergedRefs, state, cancellationToken).ConfigureAwait(false);
            (github, gitlab) = (opened.GitHub, opened.GitLab);
            Report(pair.Name, "issue", opened.Errors, errors);
        }
        else if (@event == NotifyEvents.Recovered && (github is not null || gitlab is not null))
        {
            var closed = await _issues.CloseAsync(pair, state, at, cancellationToken).ConfigureAwait(false);
            (github, gitlab) = (closed.GitHub, closed.GitLab);
            Report(pair.Name, "issue", closed.Errors, errors);
        }
        store.RecordNotification(pair.Name, new PairNotificationState(notified, errors.Count == 0 ? null : string.Join("; ", errors), github, gitlab));
    }

    /// <summary>
    /// A token expires soon: sends <c>token-expiring</c> when <paramref name="expiresAt"/> is within
    /// <c>tokenExpiryWarningDays</c>, at most once a UTC day per token (forge, user, expiry), whichever
    /// process asks. Returns true when a message went out (or was attempted and failed).
    /// </summary>
    public async Task<bool> TokenExpiringAsync(MirrorSide forge, DateTimeOffset expiresAt, string? user, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (Settings.Targets.Count == 0 || expiresAt - now > TimeSpan.FromDays(Settings.TokenExpiryWarningDays)) return false;
        var key = $"expiring|{forge}|{user}|{expiresAt.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}";
        var today = now.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var send = await UpdateTokenStateAsync(state =>
        {
            if (state[key]?.GetValue<string>() == today) return false;
            state[key] = today;
            return true;
        }, cancellationToken).ConfigureAwait(false);
        if (!send) return false;
        await SendAsync(new NotificationMessage
        {
            Event = NotifyEvents.TokenExpiring,
            Forge = forge,
            User = user,
            ExpiresAt = expiresAt,
            At = now,
            Error = $"the {forge} token{(user is null ? "" : $" of {user}")} expires on {expiresAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC",
        }, null, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// A forge refused the token (the run's authentication breaker opened for <paramref name="host"/>):
    /// sends <c>token-rejected</c> once, until a sync on that host succeeds again (<see cref="TokenAcceptedAsync"/>),
    /// so every cron run that meets the same refused token does not send it again.
    /// </summary>
    public async Task<bool> TokenRejectedAsync(MirrorSide forge, string host, string reason, CancellationToken cancellationToken)
    {
        if (Settings.Targets.Count == 0) return false;
        var key = $"rejected|{host}";
        var send = await UpdateTokenStateAsync(state =>
        {
            if (state[key] is not null) return false;
            state[key] = _time.GetUtcNow().UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
            return true;
        }, cancellationToken).ConfigureAwait(false);
        if (!send) return false;
        await SendAsync(new NotificationMessage
        {
            Event = NotifyEvents.TokenRejected,
            Forge = forge,
            At = _time.GetUtcNow(),
            Error = _redactor.Redact(reason),
        }, null, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>A sync on <paramref name="host"/> succeeded: its token works, and a later refusal is news again.</summary>
    public async Task TokenAcceptedAsync(string host, CancellationToken cancellationToken)
    {
        if (Settings.Targets.Count == 0 || !_rejectedSeen) return;
        var key = $"rejected|{host}";
        // Most syncs find nothing to clear: a plain read, no lock, no file created.
        var path = Path.Combine(_cachePath, TokenStateDirectory, TokenStateFile);
        string text;
        try
        {
            ExclusiveFile.RefuseLink(path);
            text = File.Exists(path) ? await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false) : "";
        }
        catch (IOException)
        {
            text = key; // busy: decide under the lock
        }
        _rejectedSeen = text.Contains("rejected|", StringComparison.Ordinal);
        if (!text.Contains(key, StringComparison.Ordinal)) return;
        await UpdateTokenStateAsync(state => state.Remove(key), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends to every entry that wants the event; returns the failures (already warned about and logged).</summary>
    private async Task<List<string>> SendAsync(NotificationMessage message, string? pairName, CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        foreach (var target in Settings.Targets.Where(t => t.Wants(message.Event)))
        {
            var error = await _delivery.SendAsync(target, message, cancellationToken).ConfigureAwait(false);
            var kind = target.Kind.ToString().ToLowerInvariant();
            if (error is null)
            {
                _log.Verbose($"{(pairName is null ? "" : $"[{pairName}] ")}{message.Event} sent to {target.Name} ({kind})");
                WriteLogLine(pairName, kind, "Delivered", $"{message.Event}");
                continue;
            }
            var text = $"the {message.Event} notification to {error}";
            errors.Add(text);
            _log.Warning($"{(pairName is null ? "" : $"[{pairName}] ")}Could not deliver {text}");
            WriteLogLine(pairName, kind, "Failed", text);
        }
        return errors;
    }

    private void Report(string pairName, string what, List<string> problems, List<string> errors)
    {
        foreach (var problem in problems)
        {
            var text = _redactor.Redact(problem)!;
            errors.Add(text);
            _log.Warning($"[{pairName}] {text}");
            WriteLogLine(pairName, what, "Failed", text);
        }
    }

    private void WriteLogLine(string? pairName, string target, string status, string detail)
    {
        try
        {
            _jsonLog?.WriteServiceLine(pairName, null, LogAction, target, null, null, status, detail);
        }
        catch (IOException e)
        {
            _log.Warning($"Cannot write the JSON log {_jsonLog?.Path}: {e.Message}");
        }
    }

    /// <summary>Reads, changes and writes the token state under an exclusive lock, so separate processes agree.</summary>
    private async Task<bool> UpdateTokenStateAsync(Func<JsonObject, bool> change, CancellationToken cancellationToken)
    {
        CacheTrust.EnsureRoot(_cachePath);
        var directory = CacheTrust.EnsureSubdirectory(_cachePath, TokenStateDirectory);
        var path = Path.Combine(directory, TokenStateFile);
        await using var stream = await ExclusiveFile.OpenAsync(path, FileMode.OpenOrCreate, TimeSpan.FromSeconds(30), _time, cancellationToken).ConfigureAwait(false)
            ?? throw new IOException($"{path} stayed locked by another process for 30 s");
        JsonObject state;
        try
        {
            state = stream.Length == 0 ? [] : JsonNode.Parse(stream) as JsonObject ?? [];
        }
        catch (JsonException)
        {
            state = []; // damaged: at worst one message is sent again
        }
        _rejectedSeen = state.Any(p => p.Key.StartsWith("rejected|", StringComparison.Ordinal));
        if (!change(state)) return false;
        _rejectedSeen = state.Any(p => p.Key.StartsWith("rejected|", StringComparison.Ordinal));
        stream.SetLength(0);
        stream.Position = 0;
        await JsonSerializer.SerializeAsync(stream, state, cancellationToken: cancellationToken).ConfigureAwait(false);
        return true;
    }
}
