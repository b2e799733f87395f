using System.Diagnostics;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.Core.Tests.Security;

/// <summary>Issue 12, item 12: a process that has read a token cannot be dumped (Linux).</summary>
public sealed class ProcessHardeningTests
{
    [SkippableFact]
    public void Reading_a_token_makes_the_process_non_dumpable()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "PR_SET_DUMPABLE is Linux's");
        using var world = new HttpMirrorWorld();
        world.World.AddPair("app");
        // A fresh process: this test process may have read tokens already.
        var helper = Path.Combine(AppContext.BaseDirectory, "GitMirror.LockHolder.dll");
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", ["exec", helper, "dumpable", world.World.ConfigPath])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEnd().Trim();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();

        Assert.True(process.ExitCode == 0, error);
        Assert.Equal("True False True", output);
    }
}
