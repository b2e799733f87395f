using System.Diagnostics;

namespace GitMirror.Core.Tests.Engine;

/// <summary>
/// Syncs every pair of a config in a child process (<c>GitMirror.LockHolder sync</c>), for what a
/// test cannot change in its own process: the environment a process reads once, or its limits.
/// </summary>
internal static class ChildSync
{
    /// <param name="environment">Variables set in the child.</param>
    /// <param name="wrapper">A command the child runs under (it gets dotnet and the arguments appended), e.g. a shell setting ulimit.</param>
    public static async Task<(int Code, string Output)> RunAsync(string configPath, IReadOnlyDictionary<string, string> environment,
        params string[] wrapper)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var psi = new ProcessStartInfo(wrapper.Length > 0 ? wrapper[0] : dotnet) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (wrapper.Length > 0)
        {
            foreach (var part in wrapper[1..]) psi.ArgumentList.Add(part);
            psi.ArgumentList.Add(dotnet);
        }
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "GitMirror.LockHolder.dll"));
        psi.ArgumentList.Add("sync");
        psi.ArgumentList.Add(configPath);
        foreach (var (name, value) in environment) psi.Environment[name] = value;
        using var child = Process.Start(psi)!;
        var stdout = child.StandardOutput.ReadToEndAsync();
        var stderr = child.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await child.WaitForExitAsync(limit.Token);
        return (child.ExitCode, await stdout + await stderr);
    }
}
