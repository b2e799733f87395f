using System.Globalization;
using System.Text.RegularExpressions;
using GitMirror.Core.Report;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.Core.Tests.Report;

public class MetricsWriterTests
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly string[] MetricNames =
    [
        "gitmirror_pair_healthy", "gitmirror_pair_last_run_timestamp_seconds", "gitmirror_pair_last_success_timestamp_seconds",
        "gitmirror_pair_diverged_refs", "gitmirror_pair_consecutive_failures", "gitmirror_run_refs_pushed", "gitmirror_run_duration_seconds",
    ];

    private static readonly MirrorPairStatus[] Pairs =
    [
        new() { PairName = "myorg/repo1", Status = MirrorSyncStatus.Synced, Healthy = true, LastRun = T0, LastSuccess = T0 },
        new() { PairName = "team/\"odd\"\\name\nx", Status = MirrorSyncStatus.Failed, LastRun = T0.AddSeconds(1.5), LastSuccess = T0.AddDays(-1), ConsecutiveFailures = 4, DivergedRefs = ["refs/heads/a", "refs/tags/b"] },
        new() { PairName = "other/never-ran" },
    ];

    [Fact]
    public void Every_metric_has_help_and_type_and_every_pair_a_sample()
    {
        var samples = Parse(MetricsWriter.Format(Pairs, new MirrorRunTotals(7, TimeSpan.FromSeconds(12.5))));

        Assert.Equal(MetricNames.Order(), samples.Keys.Select(k => k.Name).Distinct().Order());
        foreach (var name in MetricNames.Where(n => n.StartsWith("gitmirror_pair_")))
        {
            Assert.Equal(3, samples.Keys.Count(k => k.Name == name));
        }

        Assert.Equal(1, samples[("gitmirror_pair_healthy", "myorg/repo1")]);
        Assert.Equal(0, samples[("gitmirror_pair_healthy", "other/never-ran")]);
        Assert.Equal(T0.ToUnixTimeSeconds(), samples[("gitmirror_pair_last_run_timestamp_seconds", "myorg/repo1")]);
        Assert.Equal(0, samples[("gitmirror_pair_last_success_timestamp_seconds", "other/never-ran")]);
        Assert.Equal(T0.ToUnixTimeSeconds() + 1.5, samples[("gitmirror_pair_last_run_timestamp_seconds", "team/\"odd\"\\name\nx")]);
        Assert.Equal(2, samples[("gitmirror_pair_diverged_refs", "team/\"odd\"\\name\nx")]);
        Assert.Equal(4, samples[("gitmirror_pair_consecutive_failures", "team/\"odd\"\\name\nx")]);
        Assert.Equal(7, samples[("gitmirror_run_refs_pushed", null)]);
        Assert.Equal(12.5, samples[("gitmirror_run_duration_seconds", null)]);
    }

    [Fact]
    public void Label_values_are_escaped()
    {
        var text = MetricsWriter.Format(Pairs, new MirrorRunTotals(0, TimeSpan.Zero));
        Assert.Contains("gitmirror_pair_healthy{pair=\"team/\\\"odd\\\"\\\\name\\nx\"} 0\n", text);
        Assert.DoesNotContain("\r", text);
    }

    [Fact]
    public void Numbers_do_not_follow_the_machine_culture()
    {
        var saved = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
        try
        {
            Assert.Contains("gitmirror_run_duration_seconds 1.25\n", MetricsWriter.Format([], new MirrorRunTotals(0, TimeSpan.FromSeconds(1.25))));
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
    }

    [Fact]
    public void The_file_is_replaced_whole_and_no_temp_file_is_left()
    {
        using var dir = new TempDir();
        var path = dir.Combine("gitmirror.prom");
        File.WriteAllText(path, "stale 1\n");
        MetricsWriter.Write(path, Pairs, new MirrorRunTotals(3, TimeSpan.FromSeconds(2)));
        Assert.Equal(MetricsWriter.Format(Pairs, new MirrorRunTotals(3, TimeSpan.FromSeconds(2))), File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Run_totals_count_only_successful_pushes()
    {
        var updates = new[]
        {
            new MirrorRefUpdate { Ref = "refs/heads/a", NewSha = "1", Succeeded = true },
            new MirrorRefUpdate { Ref = "refs/heads/b", NewSha = "2", Succeeded = false },
        };
        var totals = MirrorRunTotals.From([TestData.Result(MirrorSyncStatus.Failed, T0, updates: updates), TestData.Result(MirrorSyncStatus.Synced, T0, updates: updates[..1])],
            TimeSpan.FromSeconds(3));
        Assert.Equal(2, totals.RefsPushed);
    }

    private static readonly Regex SampleLine = new("""^(?<name>[a-z_]+)(\{pair="(?<pair>(?:[^"\\]|\\.)*)"\})? (?<value>\S+)$""");

    /// <summary>A strict reader of the exposition format: HELP then TYPE before a metric's samples.</summary>
    private static Dictionary<(string Name, string? Pair), double> Parse(string text)
    {
        Assert.EndsWith("\n", text);
        var samples = new Dictionary<(string, string?), double>();
        string? help = null, type = null;
        foreach (var line in text.TrimEnd('\n').Split('\n'))
        {
            if (line.StartsWith("# HELP ")) { help = line.Split(' ')[2]; type = null; continue; }
            if (line.StartsWith("# TYPE ")) { Assert.Equal(help, line.Split(' ')[2]); Assert.EndsWith(" gauge", line); type = help; continue; }
            var match = SampleLine.Match(line);
            Assert.True(match.Success, $"not a sample line: {line}");
            Assert.Equal(type, match.Groups["name"].Value);
            var pair = match.Groups["pair"].Success ? Unescape(match.Groups["pair"].Value) : null;
            samples.Add((match.Groups["name"].Value, pair), double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture));
        }
        return samples;
    }

    private static string Unescape(string value) => Regex.Replace(value, @"\\(.)", m => m.Groups[1].Value == "n" ? "\n" : m.Groups[1].Value);
}
