using System.Security.Cryptography;
using System.Text;

namespace GitMirror.Core.Service;

/// <summary>
/// Webhook authentication of both forges. Every comparison is constant-time, so a caller cannot
/// learn the expected value byte by byte from response times.
/// </summary>
public static class WebhookSignature
{
    public const string GitHubPrefix = "sha256=";

    /// <summary>
    /// GitHub: <c>X-Hub-Signature-256: sha256=&lt;hex HMAC-SHA256 of the raw body, keyed with the secret&gt;</c>.
    /// </summary>
    public static bool VerifyGitHub(ReadOnlySpan<byte> body, string? header, ReadOnlySpan<byte> secret)
    {
        if (secret.IsEmpty || string.IsNullOrEmpty(header) || !header.StartsWith(GitHubPrefix, StringComparison.OrdinalIgnoreCase)) return false;
        var hex = header.AsSpan(GitHubPrefix.Length).Trim();
        if (hex.Length != 64) return false;
        Span<byte> given = stackalloc byte[32];
        for (var i = 0; i < 32; i++)
        {
            var hi = HexValue(hex[2 * i]);
            var lo = HexValue(hex[2 * i + 1]);
            if (hi < 0 || lo < 0) return false;
            given[i] = (byte)(hi << 4 | lo);
        }
        Span<byte> expected = stackalloc byte[32];
        HMACSHA256.HashData(secret, body, expected);
        return CryptographicOperations.FixedTimeEquals(given, expected);
    }

    /// <summary>The header value GitHub sends for <paramref name="body"/> (tests, forwarding checks).</summary>
    public static string SignGitHub(ReadOnlySpan<byte> body, ReadOnlySpan<byte> secret) =>
        GitHubPrefix + Convert.ToHexString(HMACSHA256.HashData(secret, body)).ToLowerInvariant();

    /// <summary>GitLab: <c>X-Gitlab-Token</c> carries the secret itself.</summary>
    public static bool VerifyGitLab(string? header, ReadOnlySpan<byte> secret)
    {
        if (secret.IsEmpty || string.IsNullOrEmpty(header)) return false;
        // Compare fixed-size digests: FixedTimeEquals returns early on a length mismatch, which would tell the secret's length.
        Span<byte> given = stackalloc byte[32];
        Span<byte> expected = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(header), given);
        SHA256.HashData(secret, expected);
        return CryptographicOperations.FixedTimeEquals(given, expected);
    }

    /// <summary>The key forwards are signed with: HMAC-SHA256 of a fixed label under the secret, so the secret never travels.</summary>
    private static byte[] ForwardKey(ReadOnlySpan<byte> secret) => HMACSHA256.HashData(secret, "gitmirror forward signature v1"u8);

    public static string SignForward(ReadOnlySpan<byte> secret, MirrorSide forge, ReadOnlySpan<byte> body)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, ForwardKey(secret));
        hmac.AppendData(Encoding.UTF8.GetBytes(forge + "\n"));
        hmac.AppendData(body);
        return GitHubPrefix + Convert.ToHexString(hmac.GetHashAndReset()).ToLowerInvariant();
    }

    /// <summary>Constant-time comparison of a forward signature with the expected one.</summary>
    public static bool VerifyForward(string? given, string expected) =>
        !string.IsNullOrEmpty(given) && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(given.Trim().ToLowerInvariant()), Encoding.ASCII.GetBytes(expected));

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
