namespace GitMirror.Core.Unattended;

/// <summary>
/// Opens a file with an exclusive OS lock. FileShare.None is flock(LOCK_EX) on Unix and a share
/// mode on Windows: the OS drops it when the process dies, so no lock ever goes stale.
/// </summary>
internal static class ExclusiveFile
{
    /// <summary>The open stream, or null when another handle holds the file.</summary>
    public static FileStream? TryOpen(string path, FileMode mode, FileAccess access = FileAccess.ReadWrite)
    {
        try
        {
            return new FileStream(path, mode, access, FileShare.None, bufferSize: 0);
        }
        catch (IOException e) when (IsSharingViolation(e))
        {
            return null;
        }
    }

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
