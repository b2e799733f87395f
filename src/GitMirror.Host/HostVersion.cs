using System.Reflection;

namespace GitMirror.Host;

/// <summary>The version gitmirror prints: the build's informational version, without the source revision suffix.</summary>
internal static class HostVersion
{
    public static string Text { get; } = Read();

    private static string Read()
    {
        var informational = typeof(HostVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? typeof(HostVersion).Assembly.GetName().Version?.ToString(3) ?? "unknown";
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? informational : informational[..plus];
    }
}
