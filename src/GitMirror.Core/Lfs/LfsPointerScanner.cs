using System.Diagnostics;
using System.Globalization;
using System.Text;
using GitMirror.Core.Transport;

namespace GitMirror.Core.Lfs;

/// <summary>
/// Finds LFS pointer files in the pair's cache repository with the git CLI: <c>rev-list --objects</c>
/// (small blobs only) streamed into <c>cat-file --batch</c>, so memory holds one small blob at a time
/// plus the pointers found, however big the history.
/// </summary>
public static class LfsPointerScanner
{
    /// <summary>
    /// The pointers among the objects reachable from <paramref name="tip"/> but not from any of
    /// <paramref name="excluded"/> (what a push of <paramref name="tip"/> sends to a side whose refs
    /// point at <paramref name="excluded"/>). Each oid once.
    /// </summary>
    public static Task<IReadOnlyList<LfsPointer>> InRangeAsync(string repositoryPath, string tip, IEnumerable<string> excluded,
        CancellationToken cancellationToken) =>
        InRangeAsync(repositoryPath, [tip], excluded, cancellationToken);

    /// <summary>The pointers reachable from any of <paramref name="tips"/> but from none of <paramref name="excluded"/>: one history walk for many refs.</summary>
    public static Task<IReadOnlyList<LfsPointer>> InRangeAsync(string repositoryPath, IReadOnlyCollection<string> tips, IEnumerable<string> excluded,
        CancellationToken cancellationToken) =>
        ScanAsync(repositoryPath, RevList([]), tips.Concat(excluded.Where(e => !tips.Contains(e)).Select(e => "^" + e)), null, cancellationToken);

    /// <summary>
    /// Whether any object the cache holds, reachable or not, is a pointer file. It reads the packs' object
    /// sizes instead of walking history, so on an initial mirror of a big repository without LFS it costs
    /// seconds where a walk of every commit's trees costs many (80,000 commits: 2 s against 14 s).
    /// </summary>
    public static async Task<bool> AnyInRepositoryAsync(string repositoryPath, CancellationToken cancellationToken) =>
        (await ScanAsync(repositoryPath, ["cat-file", "--batch-all-objects", "--unordered", "--batch-check=%(objectname) %(objecttype) %(objectsize)"],
            [], SmallBlob, cancellationToken).ConfigureAwait(false)).Count > 0;

    /// <summary>"&lt;oid&gt; blob &lt;size&gt;" of a blob small enough to be a pointer: its oid; anything else: null.</summary>
    private static string? SmallBlob(string sizedObject)
    {
        var parts = sizedObject.Split(' ');
        return parts.Length == 3 && parts[1] == "blob" && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var size)
            && size < LfsPointer.MaxPointerSize ? parts[0] : null;
    }

    /// <summary>rev-list of the objects to scan. Blobs of at least MaxPointerSize bytes cannot be pointers: it leaves them out (commits still come through).</summary>
    private static string[] RevList(string[] options) =>
        ["rev-list", "--objects", .. options, "--filter=object:type=blob", $"--filter=blob:limit={LfsPointer.MaxPointerSize}", "--stdin"];

    /// <summary>The pointers in the tree of <paramref name="tip"/> alone (what a checkout of it needs).</summary>
    public static Task<IReadOnlyList<LfsPointer>> InTreeAsync(string repositoryPath, string tip, CancellationToken cancellationToken) =>
        ScanAsync(repositoryPath, RevList(["--no-walk"]), [tip], null, cancellationToken);

    /// <summary>
    /// The tips among <paramref name="tips"/> whose root <c>.gitattributes</c> routes some files
    /// through LFS (<c>filter=lfs</c>): a cheap test before a tree scan, one git process for all.
    /// </summary>
    public static async Task<IReadOnlySet<string>> TrackingLfsAsync(string repositoryPath, IReadOnlyList<string> tips, CancellationToken cancellationToken)
    {
        var tracking = new HashSet<string>(StringComparer.Ordinal);
        if (tips.Count == 0) return tracking;
        using var catFile = Start(repositoryPath, ["cat-file", "--batch"]);
        using var kill = cancellationToken.Register(() => GitProcess.KillTree(catFile));
        _ = catFile.StandardError.ReadToEndAsync(CancellationToken.None);
        var feed = Task.Run(async () =>
        {
            try
            {
                foreach (var tip in tips) await catFile.StandardInput.WriteLineAsync(tip + ":.gitattributes").ConfigureAwait(false);
            }
            catch (IOException)
            {
            }
            finally
            {
                try { catFile.StandardInput.Close(); } catch (IOException) { }
            }
        }, CancellationToken.None);

        var output = new BufferedStream(catFile.StandardOutput.BaseStream, 64 * 1024);
        foreach (var tip in tips)
        {
            // "<oid> blob <size>" then the content, or "<name> missing" for a tip without the file.
            if (await ReadLineAsync(output, cancellationToken).ConfigureAwait(false) is not { } header) break;
            var parts = header.Split(' ');
            if (parts.Length != 3 || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var size)) continue;
            var content = new MemoryStream();
            await ConsumeAsync(output, content, size, cancellationToken).ConfigureAwait(false);
            _ = await ReadLineAsync(output, cancellationToken).ConfigureAwait(false);
            if (parts[1] == "blob" && Encoding.UTF8.GetString(content.GetBuffer(), 0, (int)content.Length).Contains("filter=lfs", StringComparison.Ordinal))
            {
                tracking.Add(tip);
            }
        }
        await feed.ConfigureAwait(false);
        await catFile.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return tracking;
    }

    /// <summary>Reads <paramref name="count"/> bytes, keeping at most 64 KiB of them in <paramref name="to"/> (a .gitattributes is small); null keeps none.</summary>
    private static async Task ConsumeAsync(Stream from, MemoryStream? to, long count, CancellationToken cancellationToken)
    {
        var buffer = new byte[Math.Min(count, 81920)];
        while (count > 0)
        {
            var read = await from.ReadAsync(buffer.AsMemory(0, (int)Math.Min(count, buffer.Length)), cancellationToken).ConfigureAwait(false);
            if (read == 0) throw new EndOfStreamException();
            if (to is not null && to.Length < 64 * 1024) to.Write(buffer, 0, read);
            count -= read;
        }
    }

    /// <summary>
    /// Runs <paramref name="lister"/> (fed <paramref name="listerInput"/> on stdin) into <c>cat-file --batch</c>
    /// and keeps the pointer files among the objects it names. <paramref name="forward"/> picks what of
    /// each listed line goes on (null: the line as it is).
    /// </summary>
    private static async Task<IReadOnlyList<LfsPointer>> ScanAsync(string repositoryPath, string[] lister, IEnumerable<string> listerInput,
        Func<string, string?>? forward, CancellationToken cancellationToken)
    {
        using var listing = Start(repositoryPath, lister);
        using var catFile = Start(repositoryPath, ["cat-file", "--batch=%(objectname) %(objecttype) %(objectsize) %(rest)"]);
        using var kill = cancellationToken.Register(() =>
        {
            GitProcess.KillTree(listing);
            GitProcess.KillTree(catFile);
        });
        var listingErrors = listing.StandardError.ReadToEndAsync(CancellationToken.None);
        var catFileErrors = catFile.StandardError.ReadToEndAsync(CancellationToken.None);

        var feed = Task.Run(async () =>
        {
            try
            {
                // Thousands of excluded tips go through stdin, never the command line.
                foreach (var line in listerInput) await listing.StandardInput.WriteLineAsync(line).ConfigureAwait(false);
                listing.StandardInput.Close();
                if (forward is null)
                {
                    await listing.StandardOutput.BaseStream.CopyToAsync(catFile.StandardInput.BaseStream).ConfigureAwait(false);
                    return;
                }
                while (await listing.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } listed)
                {
                    if (forward(listed) is { } next) await catFile.StandardInput.WriteLineAsync(next).ConfigureAwait(false);
                }
            }
            catch (IOException)
            {
                // One of the processes ended early: its exit code and stderr say why.
            }
            finally
            {
                try { catFile.StandardInput.Close(); } catch (IOException) { }
            }
        }, CancellationToken.None);

        var pointers = new List<LfsPointer>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var output = new BufferedStream(catFile.StandardOutput.BaseStream, 64 * 1024);
        var buffer = new byte[LfsPointer.MaxPointerSize];
        while (await ReadLineAsync(output, cancellationToken).ConfigureAwait(false) is { } header)
        {
            // "<oid> <type> <size> <path>" or "<oid> missing"
            var parts = header.Split(' ', 4);
            if (parts.Length < 3) continue;
            var size = long.Parse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture);
            if (parts[1] == "blob" && size < LfsPointer.MaxPointerSize)
            {
                await output.ReadExactlyAsync(buffer.AsMemory(0, (int)size), cancellationToken).ConfigureAwait(false);
                if (LfsPointer.TryParse(buffer.AsSpan(0, (int)size), parts.Length > 3 && parts[3].Length > 0 ? parts[3] : null) is { } pointer
                    && seen.Add(pointer.Oid))
                {
                    pointers.Add(pointer);
                }
            }
            else
            {
                await ConsumeAsync(output, null, size, cancellationToken).ConfigureAwait(false);
            }
            _ = await ReadLineAsync(output, cancellationToken).ConfigureAwait(false); // the newline after the content
        }

        await feed.ConfigureAwait(false);
        await listing.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        await catFile.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        if (listing.ExitCode != 0 || catFile.ExitCode != 0)
        {
            var errors = (await listingErrors.ConfigureAwait(false)) + (await catFileErrors.ConfigureAwait(false));
            throw new LfsException($"cannot list the LFS pointers in the cache repository: git: {errors.Trim()}");
        }
        return pointers;
    }

    private static async Task<string?> ReadLineAsync(Stream stream, CancellationToken cancellationToken)
    {
        var line = new List<byte>(128);
        var one = new byte[1];
        while (true)
        {
            var read = await stream.ReadAsync(one, cancellationToken).ConfigureAwait(false);
            if (read == 0) return line.Count == 0 ? null : Encoding.UTF8.GetString([.. line]);
            if (one[0] == '\n') return Encoding.UTF8.GetString([.. line]);
            line.Add(one[0]);
        }
    }

    /// <summary>The engine's git (isolated from the user's config, GITMIRROR_GIT honoured), its streams ours to read and write.</summary>
    private static Process Start(string repositoryPath, string[] arguments)
    {
        try
        {
            return GitProcess.Start(repositoryPath, arguments);
        }
        catch (GitTransportException e)
        {
            throw new LfsException(e.Message, e);
        }
    }
}
