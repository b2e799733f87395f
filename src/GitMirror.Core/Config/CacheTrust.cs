namespace GitMirror.Core.Config;

/// <summary>
/// The cache directory is trusted only when nobody but the user running GitMirror can change it:
/// a planted lock-file symlink would make a run overwrite any file the user can write, a planted
/// <c>insteadOf</c> would send a token elsewhere, a planted hook would run code. So the cache and
/// everything GitMirror uses under it must be owned by the current user and not writable by group
/// or others, and no symbolic link inside it is ever followed (the cache directory itself may be
/// a link: the operator chose it).
/// </summary>
/// <remarks>
/// What GitMirror created under a loose umask (group-writable files of its own) is fixed with
/// chmod; what belongs to someone else, a link, or a cache directory writable by others is refused
/// with the path and the command that fixes it. Owner checks need Linux; elsewhere the link and
/// mode checks still apply.
/// </remarks>
public static class CacheTrust
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Creates the cache directory owner-only, or checks the existing one: owned by us, not writable by others.</summary>
    public static void EnsureRoot(string cacheDir)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(cacheDir);
            return;
        }
        if (!Directory.Exists(cacheDir)) Directory.CreateDirectory(cacheDir, OwnerOnly);
        // The root may be a link the operator made: judge where it leads.
        var target = new DirectoryInfo(cacheDir).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? cacheDir;
        var status = UnixFileStatus.Of(target) ?? throw Untrusted(cacheDir, "does not exist", $"mkdir -m 700 {Quote(cacheDir)}");
        if (!status.IsDirectory) throw Untrusted(cacheDir, "is not a directory", $"rm {Quote(cacheDir)}");
        RequireOwner(cacheDir, status);
        if (status.WritableByOthers)
        {
            // Never chmod it for the operator: it may be a shared directory such as /var/tmp itself.
            throw Untrusted(cacheDir, $"is writable by group or others (mode {Octal(status.Mode)}): anyone who can write there can plant files that redirect tokens or overwrite yours",
                $"chmod 700 {Quote(cacheDir)}, or point 'cache:' at a directory of your own");
        }
    }

    /// <summary>Creates (owner-only) or checks a directory directly under the cache; returns its path.</summary>
    public static string EnsureSubdirectory(string cacheDir, string name)
    {
        EnsureRoot(cacheDir);
        var path = Path.Combine(cacheDir, name);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return path;
        }
        if (UnixFileStatus.Of(path) is null) Directory.CreateDirectory(path, OwnerOnly);
        CheckEntry(path, expectDirectory: true);
        return path;
    }

    /// <summary>
    /// Checks one entry inside the cache before GitMirror opens it: not a link, ours, and not writable
    /// by others (fixed when it is ours). Nothing there is fine: it will be created.
    /// </summary>
    public static void CheckEntry(string path, bool expectDirectory = false)
    {
        if (OperatingSystem.IsWindows()) return;
        if (UnixFileStatus.Of(path) is not { } status) return;
        if (status.IsSymbolicLink)
        {
            throw Untrusted(path, "is a symbolic link: GitMirror never follows links inside its cache", $"rm {Quote(path)}");
        }
        if (expectDirectory && !status.IsDirectory) throw Untrusted(path, "is not a directory", $"rm {Quote(path)}");
        RequireOwner(path, status);
        if (status.WritableByOthers)
        {
            // Ours (checked above): created under a loose umask. Tighten it.
            File.SetUnixFileMode(path, status.Mode & ~(UnixFileMode.GroupWrite | UnixFileMode.OtherWrite));
        }
    }

    /// <summary>
    /// Checks a whole directory tree in the cache (a pair's repository) without following links:
    /// every entry ours, no links, nothing writable by others (fixed when ours).
    /// </summary>
    public static void CheckTree(string root)
    {
        if (OperatingSystem.IsWindows() || !Directory.Exists(root)) return;
        CheckEntry(root, expectDirectory: true);
        var pending = new Stack<string>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var dir = pending.Pop();
            foreach (var entry in Directory.EnumerateFileSystemEntries(dir))
            {
                CheckEntry(entry);
                // Links were refused above, so a directory here is a real one.
                if (Directory.Exists(entry)) pending.Push(entry);
            }
        }
    }

    private static void RequireOwner(string path, UnixFileStatus status)
    {
        if (status.OwnerId is not { } owner || UnixFileStatus.CurrentUserId is not { } me || owner == me) return;
        throw Untrusted(path, $"is owned by user id {owner}, not by the user running GitMirror (id {me}): its owner could plant files that redirect tokens",
            $"remove it (rm -rf {Quote(path)}) or give it to this user (chown -R {me} {Quote(path)})");
    }

    private static MirrorCacheUntrustedException Untrusted(string path, string problem, string fix) =>
        new(path, $"The cache path {path} {problem}. Fix: {fix}.", fix);

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode, 8).PadLeft(4, '0');

    private static string Quote(string path) => path.Any(c => char.IsWhiteSpace(c) || "'\"$`\\".Contains(c))
        ? "'" + path.Replace("'", "'\\''") + "'"
        : path;
}

/// <summary>The cache (or a file GitMirror would use in it) could be changed by someone else: GitMirror refuses to use it.</summary>
public sealed class MirrorCacheUntrustedException(string path, string message, string fix) : IOException(message)
{
    /// <summary>The offending file or directory.</summary>
    public string Path { get; } = path;

    /// <summary>The command or change that makes it trusted.</summary>
    public string Fix { get; } = fix;
}
