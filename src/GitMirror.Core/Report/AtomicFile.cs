namespace GitMirror.Core.Report;

/// <summary>
/// Replaces a file all at once: readers (and a crash) see either the old or the new content,
/// never a half-written file.
/// </summary>
public static class AtomicFile
{
    /// <summary>Suffix of the temporary files; readers (node_exporter reads only *.prom) ignore them.</summary>
    public const string TempSuffix = ".tmp";

    /// <summary>Owner read and write: what every file in the cache gets.</summary>
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static void WriteAllBytes(string path, byte[] content, UnixFileMode mode = OwnerOnly) =>
        Write(path, stream => stream.Write(content), mode);

    /// <summary>
    /// <see cref="WriteAllBytes"/> without waiting for the disk: still all-or-nothing for readers and
    /// a killed process, for files that are written again at every run or only live while it runs
    /// (the cache's git config, a lock's holder, a pair's status). A power cut may leave the old
    /// content or none, which their next writer replaces; an fsync each would cost a poll of many
    /// pairs a disk flush per file.
    /// </summary>
    public static void WriteAllBytesVolatile(string path, byte[] content, UnixFileMode mode = OwnerOnly) =>
        Write(path, stream => stream.Write(content), mode, durable: false);

    /// <summary>
    /// <see cref="WriteAllBytesVolatile"/>, unless the file already holds exactly <paramref name="content"/>:
    /// files rewritten at every run (the cache's git config) then cost a read, not a write.
    /// </summary>
    public static void WriteAllBytesVolatileIfChanged(string path, byte[] content)
    {
        try
        {
            if (File.ReadAllBytes(path).AsSpan().SequenceEqual(content)) return;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Missing or unreadable: written below.
        }
        WriteAllBytesVolatile(path, content);
    }

    /// <summary>
    /// Lets <paramref name="write"/> fill a temp file in the same directory (rename is atomic only
    /// within one file system), flushes it to disk and renames it over <paramref name="path"/>. When
    /// <paramref name="write"/> throws, the temp file is removed and <paramref name="path"/> is untouched.
    /// </summary>
    /// <param name="mode">The new file's permissions, whatever the umask (the rename keeps them).</param>
    /// <param name="durable">Flush the content to disk before the rename (false: see <see cref="WriteAllBytesVolatile"/>).</param>
    public static void Write(string path, Action<Stream> write, UnixFileMode mode = OwnerOnly, bool durable = true)
    {
        var full = Path.GetFullPath(path);
        var temp = $"{full}.{Guid.NewGuid():N}{TempSuffix}";
        try
        {
            // CreateNew is O_EXCL: it never follows a link; the rename then replaces the path itself.
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(stream.SafeFileHandle, mode);
                write(stream);
                stream.Flush(flushToDisk: durable);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Deletes temp files of <paramref name="path"/> left by a crashed writer long enough ago that no writer can still own them.</summary>
    public static void RemoveLeftovers(string path, TimeSpan olderThan)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full);
        if (dir is null || !Directory.Exists(dir)) return;
        var cutoff = DateTime.UtcNow - olderThan;
        foreach (var temp in Directory.EnumerateFiles(dir, Path.GetFileName(full) + ".*" + TempSuffix))
        {
            if (File.GetLastWriteTimeUtc(temp) < cutoff) TryDelete(temp);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
