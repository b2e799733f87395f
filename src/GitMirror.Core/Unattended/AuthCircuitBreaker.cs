using System.Collections.Concurrent;
using GitMirror.Core.Transport;

namespace GitMirror.Core.Unattended;

/// <summary>
/// Stops a run from hammering a host with a token it refuses: after <see cref="Threshold"/>
/// authentication failures on one host, the remaining pairs on that host are skipped. GitLab bans
/// the IP after 30 failed authentications in 3 minutes, which would stop every pair, not just this run.
/// One instance per run; thread-safe. Pairs already in flight when it opens still finish, so keep
/// -ThrottleLimit well below 30 − Threshold.
/// </summary>
public sealed class AuthCircuitBreaker
{
    private readonly ConcurrentDictionary<string, HostState> _hosts = new(StringComparer.OrdinalIgnoreCase);

    public AuthCircuitBreaker(int threshold = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threshold, 1);
        Threshold = threshold;
    }

    public int Threshold { get; }

    /// <summary>The host of a clone or API URL, as counted here ("gitlab.com", "ghe.example.com:8443"); "local" for paths.</summary>
    public static string HostOf(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && !uri.IsFile && !string.IsNullOrEmpty(uri.Host)
            ? (uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}").ToLowerInvariant()
            : "local";

    /// <summary>Counts <paramref name="error"/> when it is an authentication failure; true when that opened the circuit for the host.</summary>
    public bool Observe(string host, Exception error) =>
        error is GitTransportException { Kind: TransportFailureKind.Authentication } && RecordAuthenticationFailure(host);

    /// <summary>Counts one refused authentication; true exactly once: when this failure opened the circuit.</summary>
    public bool RecordAuthenticationFailure(string host) =>
        Interlocked.Increment(ref State(host).Failures) == Threshold;

    public bool IsOpen(string host) => _hosts.TryGetValue(host, out var state) && Volatile.Read(ref state.Failures) >= Threshold;

    /// <summary>
    /// False when the pair may run. True when it must be skipped; then <paramref name="errorToReport"/>
    /// is the message for the one error record of this host (set for the first skipped pair only, so
    /// a run with 200 pairs on the host writes one error, not 200) and null afterwards.
    /// </summary>
    public bool ShouldSkip(string host, out string? errorToReport)
    {
        errorToReport = null;
        if (!IsOpen(host)) return false;
        if (Interlocked.Exchange(ref State(host).Reported, 1) == 0) errorToReport = MessageFor(host);
        return true;
    }

    /// <summary>The reason for every pair skipped on an open host (for MirrorSyncResult.Error).</summary>
    public string MessageFor(string host) =>
        $"Authentication failed {Threshold} times on {host}; skipping remaining pairs on {host} to avoid an IP ban: " +
        "GitLab bans an IP after 30 failed authentications in 3 minutes. Check the token named by tokenEnv in repos.yaml.";

    private HostState State(string host) => _hosts.GetOrAdd(host, static _ => new HostState());

    private sealed class HostState
    {
        public int Failures;
        public int Reported;
    }
}
