using GitMirror.Core.Config;
using GitMirror.Core.Report;

namespace GitMirror.Core.Unattended;

/// <summary>
/// One sync per pair at a time, across processes and machines that share the cache directory:
/// an exclusive OS lock on <c>&lt;cache&gt;/locks/&lt;pair file name&gt;.lock</c>. The OS releases it
/// when the holder exits or is killed, so there is never a stale lock to clean up.
/// </summary>
/// <remarks>
/// Lock files are never deleted: deleting one while another process waits on the old inode would
/// let two processes "hold" the same pair. On NFS, Linux maps the lock to an fcntl lock, which
/// NFSv4 servers honour across machines.
/// </remarks>
public sealed class PairLock : IDisposable
{
    public const string DirectoryName = "locks";

    private readonly FileStream _stream;
    private readonly string _holderPath;
    private bool _disposed;

    private PairLock(string pairName, FileStream stream, string holderPath)
    {
        PairName = pairName;
        _stream = stream;
        _holderPath = holderPath;
    }

    public string PairName { get; }

    /// <summary>
    /// Opens the lock file a second time while holding it: where that succeeds, the file system does
    /// not enforce the lock (NFS without lock support, DOTNET_SYSTEM_IO_DISABLEFILELOCKING), and two
    /// runs on two machines would both "hold" the pair. Refused rather than trusted.
    /// </summary>
    private static void RefuseUnenforcedLock(string path, FileStream held)
    {
        using var second = ExclusiveFile.TryOpen(path, FileMode.Open);
        if (second is null) return;
        held.Dispose();
        const string Fix = "put the cache on a local file system, or on NFSv4 (or NFSv3 with lockd running, not mounted with 'nolock'), and leave DOTNET_SYSTEM_IO_DISABLEFILELOCKING unset";
        throw new MirrorCacheUntrustedException(path,
            $"The lock file {path} can be opened twice at once: its file system does not enforce locks, so two runs could sync the same pair together. Fix: {Fix}.",
            Fix);
    }

    public static string PathFor(string cacheDir, string pairName) =>
        Path.Combine(cacheDir, DirectoryName, PairFileName.For(pairName) + ".lock");

    /// <summary>
    /// Takes the pair's lock, polling until <paramref name="timeout"/> (zero: one try). Returns the
    /// handle (dispose to release), or null when another process held it all along; then
    /// <see cref="ReadHolder"/> tells who and since when.
    /// </summary>
    /// <param name="activity">What the caller will do with the pair; others waiting for it read it.</param>
    public static async Task<PairLock?> TryAcquireAsync(string cacheDir, string pairName, TimeSpan timeout,
        CancellationToken cancellationToken = default, TimeProvider? time = null, PairLockActivity activity = PairLockActivity.Syncing)
    {
        time ??= TimeProvider.System;
        var path = PathFor(cacheDir, pairName);
        CacheTrust.EnsureSubdirectory(cacheDir, DirectoryName);
        CacheTrust.CheckEntry(path);
        CacheTrust.CheckEntry(HolderPathOf(path));

        var stream = await ExclusiveFile.OpenAsync(path, FileMode.OpenOrCreate, timeout, time, cancellationToken)
            .ConfigureAwait(false);
        if (stream is null) return null;
        RefuseUnenforcedLock(path, stream);

        var holder = PairLockHolder.Current(time, activity);
        try
        {
            var json = holder.ToJson();
            // In the lock file for people (cat shows it; cat takes no lock)...
            stream.SetLength(0);
            stream.Write(json);
            stream.Flush(flushToDisk: false);
            // ...and beside it for other .NET processes: .NET takes a shared flock to read, which the
            // exclusive lock refuses, so the lock file itself is unreadable to them while held.
            AtomicFile.WriteAllBytesVolatile(HolderPathOf(path), json);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
        return new PairLock(pairName, stream, HolderPathOf(path));
    }

    /// <summary>
    /// Who holds (or last held) the pair's lock; null when unknown. Only meaningful right after
    /// <see cref="TryAcquireAsync"/> returned null: a holder killed by SIGKILL leaves its record behind.
    /// </summary>
    public static PairLockHolder? ReadHolder(string cacheDir, string pairName)
    {
        try
        {
            return PairLockHolder.FromJson(File.ReadAllBytes(HolderPathOf(PathFor(cacheDir, pairName))));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>"being synced by process 123 on host since …", or "held by another run" when the holder is unknown: for messages.</summary>
    public static string DescribeHolder(string cacheDir, string pairName) => Describe(ReadHolder(cacheDir, pairName));

    /// <inheritdoc cref="DescribeHolder"/>
    public static string Describe(PairLockHolder? holder) => holder is null ? "held by another run" : $"being {holder.Doing} by {holder}";

    private static string HolderPathOf(string lockPath) => lockPath + ".holder.json";

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        // Remove the record while still holding the lock, so nobody reads a finished holder.
        try
        {
            File.Delete(_holderPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        _stream.Dispose();
    }
}
