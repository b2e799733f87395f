using System.Diagnostics;

namespace GitMirror.Host;

/// <summary>
/// With GITMIRROR_TRACE_STARTUP=1, writes to stderr how long each start-up stage took since the process
/// started (runtime start, engine creation, module import, the command): the numbers behind
/// docs/benchmarks.md. Silent otherwise.
/// </summary>
internal static class StartupTrace
{
    public const string EnvironmentVariable = "GITMIRROR_TRACE_STARTUP";

    private static readonly bool Enabled = Environment.GetEnvironmentVariable(EnvironmentVariable) is "1" or "true";
    private static readonly DateTime ProcessStart = Enabled ? Process.GetCurrentProcess().StartTime.ToUniversalTime() : default;
    private static double _last;

    public static void Mark(string stage)
    {
        if (!Enabled) return;
        var now = (DateTime.UtcNow - ProcessStart).TotalMilliseconds;
        Console.Error.WriteLine($"gitmirror start-up: {stage,-28} +{now - _last,6:0} ms  (at {now,6:0} ms, JIT-compiled methods {System.Runtime.JitInfo.GetCompiledMethodCount(),6})");
        _last = now;
    }
}
