using System.Globalization;
using System.Text;

namespace GitMirror.Core.Report;

/// <summary>
/// The <c>-MetricsPath</c> file: Prometheus text exposition format for node_exporter's textfile
/// collector, replaced atomically so the collector never scrapes half a file. Every configured
/// pair appears, from its recorded status, also when this run did not touch it (another shard).
/// </summary>
public static class MetricsWriter
{
    /// <summary>
    /// 0644 on purpose: node_exporter's textfile collector runs as another user and must read it.
    /// A link at the path is refused (design.md §3: GitMirror never writes through one).
    /// </summary>
    public const UnixFileMode Permissions = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    public static void Write(string path, IEnumerable<MirrorPairStatus> pairs, MirrorRunTotals totals)
    {
        Unattended.ExclusiveFile.RefuseLink(path);
        AtomicFile.WriteAllBytes(path, Encoding.UTF8.GetBytes(Format(pairs, totals)), Permissions);
    }

    public static string Format(IEnumerable<MirrorPairStatus> pairs, MirrorRunTotals totals)
    {
        var list = pairs.OrderBy(p => p.PairName, StringComparer.Ordinal).ToList();
        var text = new StringBuilder();

        PerPair(text, list, "gitmirror_pair_healthy",
            "1 when the last run of the pair was UpToDate or Synced with no diverged ref and no failure.",
            p => p.Healthy ? 1 : 0);
        PerPair(text, list, "gitmirror_pair_last_run_timestamp_seconds",
            "Unix time of the last run of the pair; 0 when it never ran.",
            p => Seconds(p.LastRun));
        PerPair(text, list, "gitmirror_pair_last_success_timestamp_seconds",
            "Unix time of the last UpToDate or Synced run of the pair; 0 when it never succeeded.",
            p => Seconds(p.LastSuccess));
        PerPair(text, list, "gitmirror_pair_diverged_refs",
            "Number of refs that diverged between GitHub and GitLab in the last run; they need a person.",
            p => p.DivergedRefs.Length);
        PerPair(text, list, "gitmirror_pair_consecutive_failures",
            "Number of Failed runs of the pair in a row.",
            p => p.ConsecutiveFailures);

        Header(text, "gitmirror_run_refs_pushed", "Refs pushed successfully by this run.");
        Sample(text, "gitmirror_run_refs_pushed", null, totals.RefsPushed);
        if (totals.Duration is { } duration)
        {
            Header(text, "gitmirror_run_duration_seconds", "Wall-clock duration of this run.");
            Sample(text, "gitmirror_run_duration_seconds", null, duration.TotalSeconds);
        }
        return text.ToString();
    }

    /// <summary>A label value per the exposition format: backslash, double quote and newline escaped.</summary>
    public static string EscapeLabelValue(string value) =>
        value.Replace("\\", @"\\", StringComparison.Ordinal)
            .Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\n", @"\n", StringComparison.Ordinal);

    private static void PerPair(StringBuilder text, List<MirrorPairStatus> pairs, string name, string help,
        Func<MirrorPairStatus, double> value)
    {
        Header(text, name, help);
        foreach (var pair in pairs) Sample(text, name, pair.PairName, value(pair));
    }

    // All are gauges: values of the last run, not counters that only grow.
    private static void Header(StringBuilder text, string name, string help) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
            .Append("# TYPE ").Append(name).Append(" gauge\n");

    private static void Sample(StringBuilder text, string name, string? pair, double value)
    {
        text.Append(name);
        if (pair is not null) text.Append("{pair=\"").Append(EscapeLabelValue(pair)).Append("\"}");
        // The format wants '\n' line ends and '.' decimals whatever the machine's culture.
        text.Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
    }

    private static double Seconds(DateTimeOffset? time) => time is { } t ? t.ToUnixTimeMilliseconds() / 1000.0 : 0;
}
