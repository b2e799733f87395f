using System.Diagnostics;
using System.Management.Automation;
using System.Text.Json;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.PowerShell.Tests;

/// <summary>What cron runs rely on: status, logs, metrics, shards, locks, parallel pairs.</summary>
public sealed class UnattendedTests : IDisposable
{
    private readonly MirrorWorld _world = new();
    private readonly PowerShellSession _ps;

    public UnattendedTests()
    {
        _ps = new PowerShellSession(_world.Root);
    }

    public void Dispose()
    {
        _ps.Dispose();
        _world.Dispose();
    }

    private RunResult Run(string script) => _ps.Run(script, _world.ConfigPath);

    private static string Prop(PSObject o, string name) => o.Properties[name].Value?.ToString() ?? "";

    private int ExitCode => (int)_ps.Run("$GitMirrorSyncExitCode").Output[0].BaseObject;

    [Fact]
    public void Get_MirrorStatus_reports_the_last_run_of_every_pair()
    {
        var (good, _) = _world.AddPair("good");
        good.Commits(1);
        var (bad, badLab) = _world.AddPair("bad");
        var main = bad.Commits(1);
        Assert.Empty(Run("Sync-MirrorPair -All -Path $args[0]").AllErrors);
        bad.Commit("main");
        badLab.Commit("main", from: main);
        _world.AddPair("never");
        Run("Sync-MirrorPair good,bad -Path $args[0]");

        var status = Run("Get-MirrorStatus -Path $args[0]").Output.ToDictionary(o => Prop(o, "PairName"));

        Assert.Equal(("UpToDate", "True"), (Prop(status["good"], "Status"), Prop(status["good"], "Healthy")));
        Assert.Equal(("Halted", "False"), (Prop(status["bad"], "Status"), Prop(status["bad"], "Healthy")));
        Assert.Equal(["refs/heads/main"], (string[])status["bad"].Properties["DivergedRefs"].Value);
        Assert.NotEqual("", Prop(status["bad"], "LastSuccess"));
        Assert.Equal(("", "False"), (Prop(status["never"], "Status"), Prop(status["never"], "Healthy")));
        var unhealthy = Run("Get-MirrorStatus -Path $args[0] | Where-Object -not Healthy | ForEach-Object PairName");
        Assert.Equal(["bad", "never"], unhealthy.Output.Select(o => o.ToString()).Order());
    }

    [Fact]
    public void LogPath_appends_one_json_line_per_ref_update_and_per_pair()
    {
        var (github, _) = _world.AddPair("app");
        github.Commits(1);
        github.Commit("dev");
        var log = Path.Combine(_world.Root, "logs", "sync.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);

        Assert.Empty(_ps.Run("Sync-MirrorPair -All -Path $args[0] -LogPath $args[1]", _world.ConfigPath, log).AllErrors);
        Assert.Empty(_ps.Run("Sync-MirrorPair -All -Path $args[0] -LogPath $args[1]", _world.ConfigPath, log).AllErrors);

        var lines = File.ReadAllLines(log).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        string[] keys = ["time", "runId", "pair", "ref", "action", "target", "oldSha", "newSha", "status", "durationMs", "error"];
        Assert.All(lines, l => Assert.Equal(keys, l.EnumerateObject().Select(p => p.Name)));
        Assert.Equal(4, lines.Count); // 2 updates + pair line, then the second run's pair line
        Assert.Equal(["refs/heads/dev", "refs/heads/main"], lines.Take(2).Select(l => l.GetProperty("ref").GetString()).Order());
        Assert.Equal(["Synced", "UpToDate"], lines.Where(l => l.GetProperty("action").GetString() == "sync").Select(l => l.GetProperty("status").GetString()));
        Assert.Equal(2, lines.Select(l => l.GetProperty("runId").GetString()).Distinct().Count());
    }

    [Fact]
    public void MetricsPath_writes_prometheus_text_for_every_pair()
    {
        var (github, _) = _world.AddPair("app");
        github.Commits(1);
        _world.AddPair("other");
        var metrics = Path.Combine(_world.Root, "gitmirror.prom");

        Assert.Empty(_ps.Run("Sync-MirrorPair app -Path $args[0] -MetricsPath $args[1]", _world.ConfigPath, metrics).AllErrors);

        var text = File.ReadAllText(metrics);
        Assert.Contains("# TYPE gitmirror_pair_healthy gauge", text);
        Assert.Contains("gitmirror_pair_healthy{pair=\"app\"} 1", text);
        Assert.Contains("gitmirror_pair_healthy{pair=\"other\"} 0", text);
        Assert.Contains("gitmirror_run_refs_pushed 1", text);
        Assert.Contains("# HELP gitmirror_run_duration_seconds", text);
    }

    [Fact]
    public void Shards_split_the_pairs_disjointly_and_completely()
    {
        for (var i = 0; i < 12; i++) _world.AddPair($"p{i:D2}");

        var shards = Enumerable.Range(1, 3)
            .Select(i => Run($"Sync-MirrorPair -All -Path $args[0] -Shard {i}/3").Output.Select(o => Prop(o, "PairName")).ToList())
            .ToList();

        Assert.Equal(12, shards.Sum(s => s.Count));
        Assert.Equal(12, shards.SelectMany(s => s).Distinct().Count());

        var bad = Run("Sync-MirrorPair -All -Path $args[0] -Shard 4/3");
        Assert.Equal(["MirrorShardInvalid"], bad.ErrorIds);
        Assert.Equal(3, ExitCode);
    }

    [Fact]
    public void A_pair_locked_by_another_process_is_skipped_with_a_warning_and_the_rest_go_on()
    {
        var (busy, busyLab) = _world.AddPair("busy");
        busy.Commits(1);
        var (free, freeLab) = _world.AddPair("free");
        free.Commits(1);
        using var holder = StartLockHolder(_world.CachePath, "busy");

        var result = Run("Sync-MirrorPair -All -Path $args[0] -LockTimeoutSec 1");

        Assert.Empty(result.AllErrors);
        var byName = result.Output.ToDictionary(o => Prop(o, "PairName"), o => Prop(o, "Status"));
        Assert.Equal(("Skipped", "Synced"), (byName["busy"], byName["free"]));
        Assert.Contains(result.Warnings, w => w.Contains("'busy' is being synced by process " + holder.Id));
        Assert.Empty(RepoBuilder.Refs(busyLab.BarePath));
        Assert.NotEmpty(RepoBuilder.Refs(freeLab.BarePath));
        Assert.Equal(0, ExitCode);

        holder.Kill();
        holder.WaitForExit();
        Assert.Equal("Synced", Prop(Assert.Single(Run("Sync-MirrorPair busy -Path $args[0]").Output), "Status"));
    }

    [Fact]
    public void ThrottleLimit_runs_pairs_in_parallel_and_every_pair_completes()
    {
        var repos = Enumerable.Range(0, 6).Select(i => _world.AddPair($"p{i}")).ToList();
        foreach (var (github, _) in repos) github.Commits(1);

        var result = Run("Sync-MirrorPair -All -Path $args[0] -ThrottleLimit 4");

        Assert.Empty(result.AllErrors);
        Assert.Equal(6, result.Output.Count(o => Prop(o, "Status") == "Synced"));
        Assert.All(repos, r => Assert.Equal(RepoBuilder.Refs(r.GitHub.BarePath), RepoBuilder.Refs(r.GitLab.BarePath)));
    }

    private static Process StartLockHolder(string cacheDir, string pairName)
    {
        var dll = Path.Combine(PowerShellSession.RepoRoot, "tests", "GitMirror.LockHolder", "bin",
#if DEBUG
            "Debug",
#else
            "Release",
#endif
            "net10.0", "GitMirror.LockHolder.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add(cacheDir);
        psi.ArgumentList.Add(pairName);
        var process = Process.Start(psi)!;
        Assert.Equal("locked", process.StandardOutput.ReadLine());
        return process;
    }
}
