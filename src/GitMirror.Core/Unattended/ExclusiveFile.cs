using GitMirror.Core.Config;

namespace GitMirror.Core.Unattended;

/// <summary>
/// Opens a file with an exclusive OS lock. FileShare.None is flock(LOCK_EX) on Unix and a share
/// mode on Windows: the OS drops it when the process dies, so no lock ever goes stale.
/// </summary>
internal static class ExclusiveFile
{
    /// <summary>Owner read and write: lock files and the JSON log (it names every pair and error).</summary>
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>
    /// The open stream, or null when another handle holds the file. A new file gets
    /// <paramref name="createMode"/>. A symbolic link at <paramref name="path"/> is refused, never
    /// followed: a planted link would make the caller write to whatever it points at.
    /// </summary>
    public static FileStream? TryOpen(string path, FileMode mode, FileAccess access = FileAccess.ReadWrite,
        UnixFileMode createMode = OwnerOnly)
    {
        RefuseLink(path);
        FileStream stream;
        try
        {
            var options = new FileStreamOptions { Mode = mode, Access = access, Share = FileShare.None, BufferSize = 0 };
            if (!OperatingSystem.IsWindows() && mode is not (FileMode.Open or FileMode.Truncate)) options.UnixCreateMode = createMode;
            stream = new FileStream(path, options);
        }
        catch (IOException e) when (IsSharingViolation(e))
        {
            return null;
        }
        // A link swapped in between the check and the open was followed by open(2): the handle is then
        // not the entry at the path. Refuse before a byte is written (no mode used here truncates).
        try
        {
            if (UnixFileStatus.Of(stream.SafeFileHandle) is { Identity: { } opened }
                && UnixFileStatus.Of(path) is var atPath && (atPath?.IsSymbolicLink != false || atPath.Value.Identity != opened))
            {
                throw LinkRefused(path);
            }
        }
        catch
        {
            stream.Dispose();
            throw;
        }
        return stream;
    }

    /// <summary>Throws when <paramref name="path"/> is a symbolic link.</summary>
    public static void RefuseLink(string path)
    {
        if (UnixFileStatus.Of(path) is { IsSymbolicLink: true }) throw LinkRefused(path);
    }

    private static IOException LinkRefused(string path) =>
        new($"Refusing to open {path}: it is a symbolic link, and GitMirror never writes through one. Remove it (rm {path}) or give a real file's path.");

    /// <summary>Waits for the file, polling, until <paramref name="timeout"/>; null when it stayed busy.</summary>
    public static async Task<FileStream?> OpenAsync(string path, FileMode mode, TimeSpan timeout,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var poll = TimeSpan.FromMilliseconds(5);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var stream = TryOpen(path, mode);
            if (stream is not null) return stream;

            var left = timeout - time.GetElapsedTime(started);
            if (left <= TimeSpan.Zero) return null;
            await Task.Delay(left < poll ? left : poll, time, cancellationToken).ConfigureAwait(false);
            // Back off to 250 ms: a held pair lock is usually held for seconds.
            poll = TimeSpan.FromMilliseconds(Math.Min(poll.TotalMilliseconds * 2, 250));
        }
    }

    /// <summary>
    /// Windows reports ERROR_SHARING_VIOLATION/ERROR_LOCK_VIOLATION; .NET on Unix reports the errno
    /// of the failed flock (EWOULDBLOCK) as the HResult.
    /// </summary>
    private static bool IsSharingViolation(IOException e)
    {
        if (e is FileNotFoundException or DirectoryNotFoundException or PathTooLongException) return false;
        if (OperatingSystem.IsWindows()) return (e.HResult & 0xFFFF) is 32 or 33;
        return e.HResult == (OperatingSystem.IsLinux() ? 11 : 35);
    }
}
