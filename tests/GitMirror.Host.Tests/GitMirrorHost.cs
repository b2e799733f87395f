using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace GitMirror.Host.Tests;

/// <summary>What one run of the host left behind.</summary>
public sealed record HostResult(int ExitCode, string Stdout, string Stderr)
{
    public string[] StdoutLines => Stdout.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>Starts the built `gitmirror` (this configuration's build of src/GitMirror.Host) as a child process.</summary>
public static class GitMirrorHost
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string HostDll { get; } = Path.Combine(RepoRoot, "src", "GitMirror.Host", "bin",
        typeof(GitMirrorHost).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration, "net10.0", "gitmirror.dll");

    public static string ScriptPath(string name) => Path.Combine(RepoRoot, "scripts", name);

    /// <summary>Runs the host to completion in <paramref name="workDir"/>; stdin is closed at once.</summary>
    public static HostResult Run(string workDir, params string[] args) => RunWithInput(workDir, "", args);

    /// <summary>Runs the host to completion with <paramref name="input"/> as the whole of its stdin.</summary>
    public static HostResult RunWithInput(string workDir, string input, params string[] args)
    {
        using var process = Start(workDir, args, input);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return new HostResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    public static Process Start(string workDir, params string[] args) => Start(workDir, args, "");

    /// <summary>Runs the host under a wrapper command (<c>unshare …</c>), which gets dotnet, the host and the args appended.</summary>
    public static HostResult RunWrapped(string workDir, string[] wrapper, params string[] args)
    {
        using var process = Start(workDir, args, "", wrapper);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return new HostResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>
    /// Starts the host with SIGINT at its default disposition, for tests that send it Ctrl+C. A
    /// process inherits an *ignored* SIGINT (any command a non-interactive shell starts with `&`, as
    /// some CI runners start the test run), and .NET, like every well-behaved program, then leaves
    /// it ignored: Console.CancelKeyPress never fires and the host cannot be interrupted. GNU env
    /// resets it; elsewhere the host starts as it is and the test checks the inheritance itself.
    /// </summary>
    public static Process StartInterruptible(string workDir, params string[] args) => Start(workDir, args, "", resetSigint: EnvResetsSignals);

    /// <summary>True when SIGINT is ignored in <paramref name="pid"/> (Linux /proc; false where it cannot be told).</summary>
    public static bool IgnoresSigint(int pid)
    {
        var status = $"/proc/{pid}/status";
        if (!File.Exists(status)) return false;
        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & (1UL << (2 - 1))) != 0;
    }

    private static readonly bool EnvResetsSignals = File.Exists("/usr/bin/env") && Probe("/usr/bin/env", "--default-signal=INT", "true");

    private static bool Probe(string file, params string[] args)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            p.WaitForExit();
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private static Process Start(string workDir, string[] args, string input, string[]? wrapper = null, bool resetSigint = false)
    {
        // The dotnet running the tests, so the host never meets another installation's runtime.
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        if (resetSigint) wrapper = ["/usr/bin/env", "--default-signal=INT"];
        var psi = new ProcessStartInfo(wrapper is { Length: > 0 } ? wrapper[0] : dotnet)
        {
            WorkingDirectory = workDir,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        if (wrapper is { Length: > 0 })
        {
            foreach (var part in wrapper[1..]) psi.ArgumentList.Add(part);
            psi.ArgumentList.Add(dotnet);
        }
        psi.ArgumentList.Add(HostDll);
        foreach (var arg in args) psi.ArgumentList.Add(arg);
        // Nothing from the developer's environment may choose another config or module.
        psi.Environment.Remove("GITMIRROR_CONFIG");
        psi.Environment.Remove("GITMIRROR_MODULE_PATH");
        var process = Process.Start(psi)!;
        process.StandardInput.Write(input);
        process.StandardInput.Close();
        return process;
    }

    /// <summary>A single-quoted PowerShell string literal, for paths placed in a command line.</summary>
    public static string Quote(string value) => "'" + value.Replace("'", "''") + "'";

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "GitMirror.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("GitMirror.sln not found above " + AppContext.BaseDirectory);
    }
}
