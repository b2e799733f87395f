using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.Json;
using GitMirror.Testing;
using Xunit;
using Xunit.Abstractions;

namespace GitMirror.PowerShell.Tests;

/// <summary>
/// Runs tests/pester in a real pwsh — the PowerShell tool pinned by .config/dotnet-tools.json — with
/// Pester from the NuGet feed (pinned in this project), so `dotnet test` covers what a pwsh user
/// does. Its counts go to $GITMIRROR_PESTER_SUMMARY when set, for .ci/run's closing line.
/// </summary>
public sealed class PesterSuiteTests(ITestOutputHelper output)
{
    private static readonly string PesterManifest = typeof(PesterSuiteTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "PesterManifest").Value!;

    [SkippableFact]
    public void Pester_suite_passes_in_a_real_pwsh()
    {
        var pwsh = PwshTool.Command();
        Assert.True(File.Exists(PesterManifest), $"Pester is missing at {PesterManifest}: `dotnet restore` downloads it.");

        using var dir = new TempDir("gitmirror-pester");
        var summaryPath = Path.Combine(dir.Path, "summary.json");
        var script = Path.Combine(PowerShellSession.RepoRoot, "tests", "pester", "Invoke-PesterSuite.ps1");
        var run = PwshTool.Run(pwsh, PowerShellSession.RepoRoot, TimeSpan.FromMinutes(5),
            "-NoProfile", "-NonInteractive", "-File", script,
            "-PesterPath", PesterManifest,
            "-ResultPath", Path.Combine(dir.Path, "pester-results.xml"),
            "-SummaryPath", summaryPath);
        output.WriteLine(run.Output);

        Assert.True(File.Exists(summaryPath), $"Pester wrote no summary (exit {run.ExitCode}):\n{run.Output}");
        var summary = JsonSerializer.Deserialize<PesterSummary>(File.ReadAllText(summaryPath))!;
        if (Environment.GetEnvironmentVariable("GITMIRROR_PESTER_SUMMARY") is { Length: > 0 } forCi)
        {
            File.WriteAllText(forCi, $"{summary.Passed} {summary.Failed} {summary.Skipped}\n");
        }
        Assert.True(summary.Failed == 0 && run.ExitCode == 0,
            $"Pester {summary.PesterVersion}: {summary.Failed} failed ({string.Join("; ", summary.FailedTests)}), exit {run.ExitCode}:\n{run.Output}");
        Assert.True(summary.Passed > 0, "Pester ran no test:\n" + run.Output);
    }

    private sealed record PesterSummary(int Passed, int Failed, int Skipped, int NotRun, string[] FailedTests, string PesterVersion);
}

/// <summary>Finds the pinned pwsh: the repository's dotnet tool, else pwsh on PATH; skips (or fails under CI=true) without one.</summary>
internal static class PwshTool
{
    public sealed record Result(int ExitCode, string Output);

    /// <summary>The command line prefix that starts pwsh.</summary>
    public static string[] Command()
    {
        // `dotnet tool run pwsh` works only after `dotnet tool restore` (.ci/install-tools does it).
        var probe = TryRun(["dotnet", "tool", "run", "pwsh", "--", "-NoProfile", "-NonInteractive", "-Command", "$PSVersionTable.PSVersion.ToString()"]);
        if (probe is { ExitCode: 0 }) return ["dotnet", "tool", "run", "pwsh", "--"];
        var onPath = TryRun(["pwsh", "-NoProfile", "-NonInteractive", "-Command", "$PSVersionTable.PSVersion.ToString()"]);
        if (onPath is { ExitCode: 0 }) return ["pwsh"];

        var reason = "pwsh is not available: run `dotnet tool restore` (.ci/install-tools does) to get the PowerShell tool pinned in .config/dotnet-tools.json";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(reason + $" (CI=true: a missing tool is a failure). dotnet tool run said: {probe?.Output}");
        }
        Skip.If(true, reason);
        return [];
    }

    public static Result Run(string[] command, string workDir, TimeSpan timeout, params string[] args)
    {
        var psi = new ProcessStartInfo(command[0])
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in command.Skip(1).Concat(args)) psi.ArgumentList.Add(a);
        // Nothing of the developer's environment may pick another config or module.
        psi.Environment.Remove("GITMIRROR_CONFIG");
        psi.Environment.Remove("GITMIRROR_MODULE_PATH");
        psi.Environment["NO_COLOR"] = "1";
        var text = new StringBuilder();
        using var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (text) text.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (text) text.AppendLine(e.Data); };
        p.Start();
        p.StandardInput.Close();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"pwsh did not finish in {timeout}:\n{text}");
        }
        p.WaitForExit();
        lock (text) return new Result(p.ExitCode, text.ToString());
    }

    private static Result? TryRun(string[] command)
    {
        try
        {
            return Run(command, PowerShellSession.RepoRoot, TimeSpan.FromMinutes(2));
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // not installed
        }
    }
}
