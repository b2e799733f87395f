using Xunit;

namespace GitMirror.Host.Tests;

/// <summary>A fact that needs POSIX signals (kill -INT).</summary>
public sealed class UnixFactAttribute : FactAttribute
{
    public UnixFactAttribute()
    {
        if (OperatingSystem.IsWindows()) Skip = "Needs POSIX signals; Windows has no kill -INT.";
    }
}
