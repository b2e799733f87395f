using System.Globalization;
using System.Text;

namespace GitMirror.Core.Lfs;

/// <summary>
/// A Git LFS pointer file: the blob git stores in place of a large file, naming the object by its
/// SHA-256 and size (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md).
/// </summary>
public sealed record LfsPointer(string Oid, long Size, string? Path = null)
{
    /// <summary>Pointer files are smaller than this, by the specification.</summary>
    public const int MaxPointerSize = 1024;

    private const string VersionLine = "version https://git-lfs.github.com/spec/v1";
    private const string OidPrefix = "oid sha256:";
    private const string SizePrefix = "size ";

    /// <summary>The pointer in <paramref name="content"/>, or null when the blob is an ordinary file.</summary>
    public static LfsPointer? TryParse(ReadOnlySpan<byte> content, string? path = null)
    {
        if (content.Length >= MaxPointerSize || content.Length < VersionLine.Length) return null;
        if (!content.StartsWith("version https://git-lfs.github.com/spec/v1\n"u8)) return null;
        string? oid = null;
        long? size = null;
        foreach (var line in Encoding.UTF8.GetString(content).Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1))
        {
            if (line.StartsWith(OidPrefix, StringComparison.Ordinal)) oid = line[OidPrefix.Length..];
            else if (line.StartsWith(SizePrefix, StringComparison.Ordinal)
                && long.TryParse(line[SizePrefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var n)) size = n;
        }
        return oid is not null && IsOid(oid) && size is { } s ? new LfsPointer(oid, s, path) : null;
    }

    /// <summary>The pointer file's text for an object (as git-lfs writes it).</summary>
    public static string Format(string oid, long size) =>
        $"{VersionLine}\n{OidPrefix}{oid}\nsize {size.ToString(CultureInfo.InvariantCulture)}\n";

    /// <summary>64 lowercase hex digits: the only oid shape that may become a file name or a URL part.</summary>
    public static bool IsOid(string oid) => oid.Length == 64 && oid.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    /// <summary>"assets/big.bin (sha256:4d7a2146…, 12 MB)": how messages name an object.</summary>
    public string Describe() => $"{(Path is null ? "" : Path + " ")}(sha256:{Oid[..12]}…, {DescribeSize(Size)})";

    public static string DescribeSize(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.#} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.#} MiB",
        >= 1L << 10 => $"{bytes / (double)(1L << 10):0.#} KiB",
        _ => $"{bytes} bytes",
    };
}
