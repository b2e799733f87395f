using System.Security.Cryptography;
using System.Text;

namespace GitMirror.Core.Unattended;

/// <summary>
/// The file name every per-pair cache file uses (lock, status, bare repository): readable, short,
/// unique and safe on case-insensitive file systems.
/// </summary>
public static class PairFileName
{
    private const int MaxReadableLength = 48;

    /// <summary>
    /// <c>myorg/repo1</c> → <c>myorg-repo1-1a2b3c4d5e6f</c>: a lower-case slug for people plus 12 hex
    /// digits of the SHA-256 of the exact name, so <c>Org/Repo</c> and <c>org/repo</c>, or
    /// <c>a/b</c> and <c>a-b</c>, never share a file even where the file system ignores case.
    /// </summary>
    public static string For(string pairName)
    {
        ArgumentException.ThrowIfNullOrEmpty(pairName);
        var slug = new StringBuilder(Math.Min(pairName.Length, MaxReadableLength));
        foreach (var c in pairName.ToLowerInvariant())
        {
            if (slug.Length == MaxReadableLength) break;
            var keep = c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '_' or '-';
            // Collapse runs of separators so "org//x" does not become "org--x".
            if (keep) slug.Append(c);
            else if (slug.Length > 0 && slug[^1] != '-') slug.Append('-');
        }
        // No leading dot (hidden files, "." and "..") and no dangling separators.
        var readable = slug.ToString().Trim('-', '.');
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(pairName)), 0, 6).ToLowerInvariant();
        return readable.Length == 0 ? hash : $"{readable}-{hash}";
    }
}
