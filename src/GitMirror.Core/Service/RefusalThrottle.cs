namespace GitMirror.Core.Service;

/// <summary>
/// Refused webhooks cost an attacker nothing, so they must not cost a log line each: the first few
/// of each interval are logged, the rest only counted (the metric counts every one), and the next
/// refusal after the interval brings one summary line of what was left out.
/// </summary>
public sealed class RefusalThrottle(TimeSpan interval, int burst = RefusalThrottle.DefaultBurst)
{
    public const int DefaultBurst = 10;

    private readonly object _gate = new();
    private readonly Dictionary<string, int> _suppressed = new(StringComparer.Ordinal);
    private long _windowStart = Environment.TickCount64;
    private int _logged;

    /// <summary>
    /// Whether this refusal gets its own line; <paramref name="summary"/> is the line for those left
    /// out in the interval that just ended (null when none were).
    /// </summary>
    public bool ShouldLog(string forge, out string? summary)
    {
        lock (_gate)
        {
            summary = null;
            var now = Environment.TickCount64;
            if (now - _windowStart >= interval.TotalMilliseconds)
            {
                if (_suppressed.Count > 0)
                {
                    summary = $"{_suppressed.Values.Sum()} more webhooks refused in the last {Describe(TimeSpan.FromMilliseconds(now - _windowStart))} and not logged one by one ("
                        + string.Join(", ", _suppressed.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key}: {s.Value}")) + "); each is counted in gitmirror_webhook_events_total";
                    _suppressed.Clear();
                }
                _windowStart = now;
                _logged = 0;
            }
            if (_logged < burst)
            {
                _logged++;
                return true;
            }
            _suppressed[forge] = _suppressed.GetValueOrDefault(forge) + 1;
            return false;
        }
    }

    private static string Describe(TimeSpan span) => span.TotalSeconds >= 1 ? $"{span.TotalSeconds:0} s" : $"{span.TotalMilliseconds:0} ms";
}
