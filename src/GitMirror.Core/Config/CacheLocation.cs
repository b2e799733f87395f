namespace GitMirror.Core.Config;

/// <summary>Where the cache lives when repos.yaml does not say.</summary>
public static class CacheLocation
{
    public const string EnvironmentVariable = "GITMIRROR_CACHE";

    /// <summary>$GITMIRROR_CACHE, else the per-user cache directory of the platform.</summary>
    public static string Default()
    {
        var fromEnv = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnv)) return Path.GetFullPath(ExpandHome(fromEnv));

        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (OperatingSystem.IsWindows())
        {
            var local = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
            return Path.Combine(local, "GitMirror", "cache");
        }
        if (OperatingSystem.IsMacOS()) return Path.Combine(home, "Library", "Caches", "GitMirror");

        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        return Path.Combine(string.IsNullOrWhiteSpace(xdg) ? Path.Combine(home, ".cache") : xdg, "gitmirror");
    }

    public static string ExpandHome(string path) =>
        path == "~" || path.StartsWith("~/", StringComparison.Ordinal)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path.Length > 2 ? path[2..] : "")
            : path;

    /// <summary>
    /// Creates the cache directory readable by its owner only (it holds private repository content),
    /// or checks that an existing one can be trusted (<see cref="CacheTrust.EnsureRoot"/>).
    /// Directories inside the cache: <see cref="CacheTrust.EnsureSubdirectory"/>.
    /// </summary>
    public static void EnsurePrivateDirectory(string path) => CacheTrust.EnsureRoot(path);
}
