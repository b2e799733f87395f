using System.Globalization;
using System.Text;
using GitMirror.Core.Config;
using GitMirror.Core.Forges;
using GitMirror.Core.Report;

namespace GitMirror.Core.Service;

/// <summary>
/// The service's view of its credentials: checked at start and then once per interval (an hour),
/// never per request, so <c>/</c> and <c>/metrics</c> answer from memory. Each check is also kept in
/// the cache, where Get-MirrorStatus reads it.
/// </summary>
public sealed class CredentialWatch(MirrorConfig config, IMirrorLog log, TimeSpan interval)
{
    private IReadOnlyList<MirrorCredential> _current = [];

    /// <summary>The last check's answers (empty until the first check finished).</summary>
    public IReadOnlyList<MirrorCredential> Current => Volatile.Read(ref _current);

    public DateTimeOffset? CheckedAt { get; private set; }

    /// <summary>Checks now, then every interval, until <paramref name="ct"/> is cancelled; zero interval: never.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        if (interval <= TimeSpan.Zero) return;
        try
        {
            using var timer = new PeriodicTimer(interval);
            do
            {
                try
                {
                    await CheckAsync(ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A check that broke must not end the checks for the weeks the service runs.
                    log.Warning($"Checking the credentials failed: {e.Message}; trying again in {interval.TotalMinutes:0} minutes.");
                }
            }
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>One check of both forges; a failure to keep it in the cache is a warning.</summary>
    public async Task CheckAsync(CancellationToken ct)
    {
        var credentials = await CredentialProbe.ProbeAllAsync(config, ct).ConfigureAwait(false);
        var now = DateTimeOffset.UtcNow;
        Volatile.Write(ref _current, credentials);
        CheckedAt = now;
        foreach (var credential in credentials)
        {
            if (CredentialStatus.NeedsAttention(credential, config.Notify.TokenExpiryWarningDays) is { } problem) log.Warning($"{credential.Forge} credential: {problem}");
        }
        await TellExpiringAsync(config, credentials, log, ct).ConfigureAwait(false);
        try
        {
            new CredentialStatus(config.CachePath, log).Record(credentials, now);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            log.Warning($"Cannot keep the credential check in the cache ({config.CachePath}): {e.Message}");
        }
    }

    /// <summary>
    /// A token that expires within <c>tokenExpiryWarningDays</c> is told through <c>notify:</c> (the
    /// notifier sends it at most once a day per token, whichever process checked). A GitHub App's
    /// installation tokens are renewed by GitMirror and never told.
    /// </summary>
    public static async Task TellExpiringAsync(MirrorConfig config, IReadOnlyList<MirrorCredential> credentials, IMirrorLog log, CancellationToken ct)
    {
        if (config.Notify.Targets.Count == 0) return;
        var notifier = Notify.Notifier.For(config, log);
        foreach (var credential in credentials)
        {
            if (!credential.Valid || credential.Kind == MirrorCredentialKind.GitHubApp || credential.ExpiresAt is not { } expiresAt) continue;
            await notifier.TokenExpiringAsync(credential.Forge, expiresAt, credential.User, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Prometheus text: <c>gitmirror_token_expiry_timestamp_seconds{forge}</c> (Unix seconds; no
    /// sample for a credential that never expires) and <c>gitmirror_token_valid{forge}</c>.
    /// </summary>
    public static string FormatMetrics(IReadOnlyList<MirrorCredential> credentials)
    {
        if (credentials.Count == 0) return "";
        var text = new StringBuilder();
        text.Append("# HELP gitmirror_token_expiry_timestamp_seconds When the forge credential expires, in Unix seconds (no sample: it never expires).\n")
            .Append("# TYPE gitmirror_token_expiry_timestamp_seconds gauge\n");
        foreach (var credential in credentials)
        {
            if (credential.ExpiresAt is { } at)
            {
                text.Append(CultureInfo.InvariantCulture, $"gitmirror_token_expiry_timestamp_seconds{{forge=\"{Label(credential.Forge)}\"}} {at.ToUnixTimeSeconds()}\n");
            }
        }
        text.Append("# HELP gitmirror_token_valid 1 when the forge accepted the credential at the last check, else 0.\n")
            .Append("# TYPE gitmirror_token_valid gauge\n");
        foreach (var credential in credentials)
        {
            text.Append(CultureInfo.InvariantCulture, $"gitmirror_token_valid{{forge=\"{Label(credential.Forge)}\"}} {(credential.Valid ? 1 : 0)}\n");
        }
        return text.ToString();
    }

    private static string Label(MirrorSide forge) => forge == MirrorSide.GitHub ? "github" : "gitlab";
}
