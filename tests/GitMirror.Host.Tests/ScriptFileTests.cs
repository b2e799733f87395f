using System.Diagnostics;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.Host.Tests;

/// <summary>`gitmirror -File script.ps1 [args…]`.</summary>
public sealed class ScriptFileTests : IDisposable
{
    private readonly TempDir _dir = new("gitmirror-host");

    public void Dispose() => _dir.Dispose();

    private string WriteScript(string text)
    {
        var path = _dir.Combine($"script-{Guid.NewGuid():N}.ps1");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Exit_N_in_the_script_is_the_exit_code_even_from_a_function()
    {
        var script = WriteScript("function Stop-Here { exit 7 }\n'before'\nStop-Here\n'after'\n");

        var result = GitMirrorHost.Run(_dir.Path, "-File", script);

        Assert.True(result.ExitCode == 7, result.ToString());
        Assert.Equal(["before"], result.StdoutLines.Where(l => l.Length > 0));
    }

    [Fact]
    public void Arguments_bind_to_parameters_switches_and_args_as_pwsh_binds_them()
    {
        var script = WriteScript("param([string]$Name, [switch]$Loud, [string]$Mode)\n\"Name=$Name Loud=$Loud Mode=$Mode Rest=$($args -join '|') Root=$PSScriptRoot\"\n");

        var result = GitMirrorHost.Run(_dir.Path, "-File", script, "-Name", "two words", "-Loud", "-Mode:fast", "extra", "$(not code)", "-x;'no code either'");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal($"Name=two words Loud=True Mode=fast Rest=extra|$(not code)|-x;'no code either' Root={_dir.Path}", result.Stdout.Trim());
    }

    [Fact]
    public void Warnings_and_verbose_lines_go_to_stderr_once_and_output_to_stdout()
    {
        var script = WriteScript("[CmdletBinding()] param()\n$PSCmdlet.WriteWarning('careful')\n$PSCmdlet.WriteVerbose('details')\n'data'\n");

        var quiet = GitMirrorHost.Run(_dir.Path, "-File", script);
        var verbose = GitMirrorHost.Run(_dir.Path, "-File", script, "-Verbose");

        Assert.Equal(["data"], quiet.StdoutLines.Where(l => l.Length > 0));
        Assert.Equal(["WARNING: careful"], quiet.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["WARNING: careful", "VERBOSE: details"], verbose.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(0, verbose.ExitCode);
    }

    /// <summary>
    /// The host runs the full engine (Microsoft.PowerShell.SDK), so what people write in pwsh
    /// scripts (Utility and Management cmdlets, formatting, progress) runs unchanged.
    /// </summary>
    [Fact]
    public void A_pwsh_script_using_utility_cmdlets_runs_unchanged()
    {
        var script = WriteScript("""
            $rows = 3, 1, 2 | ForEach-Object { [pscustomobject]@{ Name = "pair$_"; Count = $_ } }
            $rows | Sort-Object Count -Descending | Select-Object -First 2 | Format-Table -AutoSize
            $rows | Select-Object -Last 1 -ExpandProperty Name
            $rows | Measure-Object -Property Count -Sum | Select-Object -ExpandProperty Sum
            ConvertTo-Json -InputObject @{ day = (Get-Date -Year 2024 -Month 2 -Day 29).ToString('yyyy-MM-dd') } -Compress
            Write-Progress -Activity 'Counting' -Status 'half' -PercentComplete 50
            Write-Progress -Activity 'Counting' -Completed
            Get-Module GitMirror | Select-Object -ExpandProperty Name
            Write-Output (Join-Path 'a' 'b')
            """);

        var result = GitMirrorHost.Run(_dir.Path, "-File", script);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.Stderr);
        Assert.Equal(["Name  Count", "----  -----", "pair3     3", "pair2     2", "pair2", "6", """{"day":"2024-02-29"}""", "GitMirror", Path.Combine("a", "b")],
            result.StdoutLines.Where(l => l.Length > 0));
    }

    [Fact]
    public void A_script_that_does_not_parse_exits_3_and_does_not_run()
    {
        var marker = _dir.Combine("ran");
        var script = WriteScript($"[System.IO.File]::WriteAllText('{marker}', 'x')\nif (\n");

        var result = GitMirrorHost.Run(_dir.Path, "-File", script);

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("ParserError: " + script, result.Stderr);
        Assert.False(File.Exists(marker));
    }

    [UnixFact]
    public void Ctrl_C_stops_the_running_command_and_exits_130()
    {
        var script = WriteScript("'started'\nwhile ($true) { Start-Sleep -Milliseconds 100 }\n");
        using var host = GitMirrorHost.StartInterruptible(_dir.Path, "-File", script);
        var stderr = host.StandardError.ReadToEndAsync();
        Assert.Equal("started", host.StandardOutput.ReadLine());
        // An inherited ignored SIGINT (a test run started in the background) would make the signal
        // below a no-op and this test a timeout: say so instead.
        Assert.False(GitMirrorHost.IgnoresSigint(host.Id), "the host was started with SIGINT ignored (inherited from the test run), so Ctrl+C cannot reach it");

        using (var kill = Process.Start("kill", ["-INT", host.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
        }

        // A generous bound: only a host that ignores the signal takes anywhere near this long.
        var exited = host.WaitForExit(TimeSpan.FromSeconds(60));
        if (!exited) host.Kill(entireProcessTree: true);
        Assert.True(exited, "gitmirror did not stop after SIGINT");
        Assert.Equal(130, host.ExitCode);
        Assert.Equal("", stderr.Result);
    }
}
