using System.Globalization;
using System.Text;
using GitMirror.Core.Report;

namespace GitMirror.Core.Service;

/// <summary>
/// The service's live counters for <c>GET /metrics</c>: webhook events by forge and outcome, syncs by
/// status, and the event-to-mirrored latency histogram. Appended to the <c>-MetricsPath</c> families
/// (<see cref="MetricsWriter"/>), which describe each pair from its recorded status.
/// </summary>
public sealed class ServiceMetrics
{
    /// <summary>Histogram buckets (seconds): sub-second for small pushes up to minutes for big ones.</summary>
    public static readonly double[] LatencyBuckets = [0.25, 0.5, 1, 2, 5, 10, 30, 60, 300];

    private readonly object _gate = new();
    private readonly SortedDictionary<(string Forge, string Outcome), long> _events = new();
    private readonly SortedDictionary<string, long> _syncs = new(StringComparer.Ordinal);
    private readonly long[] _bucketCounts = new long[LatencyBuckets.Length];
    private long _latencyCount;
    private double _latencySum;
    private long _refsPushed;

    public void CountEvent(MirrorSide forge, string outcome)
    {
        lock (_gate)
        {
            var key = (forge.ToString().ToLowerInvariant(), outcome);
            _events[key] = _events.GetValueOrDefault(key) + 1;
        }
    }

    public void CountSync(MirrorSyncResult result)
    {
        lock (_gate)
        {
            var status = result.Status.ToString();
            _syncs[status] = _syncs.GetValueOrDefault(status) + 1;
            _refsPushed += result.Updates.Count(u => u.Succeeded);
        }
    }

    public void ObserveLatency(double seconds)
    {
        lock (_gate)
        {
            _latencyCount++;
            _latencySum += seconds;
            for (var i = 0; i < LatencyBuckets.Length; i++)
            {
                if (seconds <= LatencyBuckets[i]) _bucketCounts[i]++;
            }
        }
    }

    public long EventCount(MirrorSide forge, string outcome)
    {
        lock (_gate) return _events.GetValueOrDefault((forge.ToString().ToLowerInvariant(), outcome));
    }

    public long SyncCount(MirrorSyncStatus status)
    {
        lock (_gate) return _syncs.GetValueOrDefault(status.ToString());
    }

    /// <summary>The whole exposition: the pair families, then the service's own.</summary>
    public string Format(IEnumerable<MirrorPairStatus> pairs, TimeSpan uptime)
    {
        var text = new StringBuilder();
        lock (_gate)
        {
            // A service is not one run: no run duration (its uptime would read as one), the uptime instead.
            text.Append(MetricsWriter.Format(pairs, new MirrorRunTotals((int)Math.Min(_refsPushed, int.MaxValue), null)));
            Header(text, "gitmirror_uptime_seconds", "Seconds since this service started.", "gauge");
            text.Append($"gitmirror_uptime_seconds {Number(uptime.TotalSeconds)}\n");
            Header(text, "gitmirror_webhook_events_total", "Webhook requests received, by forge and outcome.", "counter");
            foreach (var ((forge, outcome), count) in _events)
            {
                text.Append($"gitmirror_webhook_events_total{{forge=\"{forge}\",outcome=\"{outcome}\"}} {count}\n");
            }
            Header(text, "gitmirror_syncs_total", "Pair syncs run by this service, by result status.", "counter");
            foreach (var (status, count) in _syncs)
            {
                text.Append($"gitmirror_syncs_total{{status=\"{status}\"}} {count}\n");
            }
            Header(text, "gitmirror_event_to_mirrored_seconds", "Seconds from a webhook's arrival until its pair's sync left both sides equal.", "histogram");
            for (var i = 0; i < LatencyBuckets.Length; i++)
            {
                text.Append($"gitmirror_event_to_mirrored_seconds_bucket{{le=\"{Number(LatencyBuckets[i])}\"}} {_bucketCounts[i]}\n");
            }
            text.Append($"gitmirror_event_to_mirrored_seconds_bucket{{le=\"+Inf\"}} {_latencyCount}\n");
            text.Append($"gitmirror_event_to_mirrored_seconds_sum {Number(_latencySum)}\n");
            text.Append($"gitmirror_event_to_mirrored_seconds_count {_latencyCount}\n");
        }
        return text.ToString();
    }

    private static void Header(StringBuilder text, string name, string help, string type) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
            .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
