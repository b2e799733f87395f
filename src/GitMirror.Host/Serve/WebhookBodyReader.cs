using System.Security.Cryptography;
using GitMirror.Core.Service;

namespace GitMirror.Host.Serve;

/// <summary>
/// Reads a webhook body without letting unauthenticated senders hold the process's memory: the
/// bytes buffered by all requests in flight share one budget (beyond it: 503 with Retry-After, a
/// forge retries and the poll catches up), each body must arrive within a total time, and
/// GitHub's HMAC is computed as the bytes arrive, so a body with a wrong signature is dropped
/// without ever being copied into one array.
/// </summary>
internal sealed class WebhookBodyReader
{
    /// <summary>All bodies being read at once hold at most this much: one body of GitHub's largest size, and some room.</summary>
    public const long DefaultBudgetBytes = WebhookReceiver.MaxBodyBytes + 15L * 1024 * 1024;

    /// <summary>A forge waits 10 s for an answer; a body still arriving after this is an attack or a dead link.</summary>
    public static readonly TimeSpan DefaultBodyTime = TimeSpan.FromSeconds(20);

    /// <summary>What a client is told to wait before retrying after a 503.</summary>
    public const int RetryAfterSeconds = 30;

    private const int ChunkBytes = 64 * 1024; // below the large-object heap's threshold

    private readonly long _budget;
    private long _inUse;

    public WebhookBodyReader(long budgetBytes, TimeSpan bodyTime)
    {
        _budget = budgetBytes;
        BodyTime = bodyTime;
    }

    public TimeSpan BodyTime { get; }

    /// <summary>Bytes buffered right now by all requests in flight.</summary>
    public long InUse => Interlocked.Read(ref _inUse);

    public enum Outcome
    {
        Complete,
        TooLarge,
        OverBudget,
        TimedOut,
        WrongSignature,
    }

    /// <summary>
    /// Reads the body. <paramref name="gitHubKey"/> (GitHub only): the HMAC key, checked against
    /// <paramref name="signature"/> once the last byte is in; a mismatch returns WrongSignature
    /// and no body. Complete: the body, in one array.
    /// </summary>
    public async Task<(Outcome Outcome, byte[]? Body)> ReadAsync(Stream body, byte[]? gitHubKey, string? signature, CancellationToken aborted)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        timeout.CancelAfter(BodyTime);
        using var hmac = gitHubKey is null ? null : IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, gitHubKey);
        var chunks = new List<byte[]>();
        long total = 0;
        long reserved = 0;
        try
        {
            var chunk = new byte[ChunkBytes];
            var filled = 0;
            while (true)
            {
                int read;
                try
                {
                    read = await body.ReadAsync(chunk.AsMemory(filled), timeout.Token);
                }
                catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
                {
                    return (Outcome.TimedOut, null);
                }
                catch (Microsoft.AspNetCore.Http.BadHttpRequestException)
                {
                    // Kestrel's minimum data rate cut the body off.
                    return (Outcome.TimedOut, null);
                }
                if (read == 0) break;
                if (total + read > WebhookReceiver.MaxBodyBytes) return (Outcome.TooLarge, null);
                // Reserve before keeping the bytes: the budget bounds what the process holds, not what it has freed.
                if (!TryReserve(read)) return (Outcome.OverBudget, null);
                reserved += read;
                hmac?.AppendData(chunk, filled, read);
                total += read;
                filled += read;
                if (filled == chunk.Length)
                {
                    chunks.Add(chunk);
                    chunk = new byte[ChunkBytes];
                    filled = 0;
                }
            }
            if (hmac is not null)
            {
                var expected = hmac.GetHashAndReset();
                if (!SignatureMatches(signature, expected)) return (Outcome.WrongSignature, null);
            }
            var whole = new byte[total];
            var offset = 0;
            foreach (var full in chunks)
            {
                full.CopyTo(whole, offset);
                offset += full.Length;
            }
            Array.Copy(chunk, 0, whole, offset, filled);
            return (Outcome.Complete, whole);
        }
        finally
        {
            chunks.Clear();
            Interlocked.Add(ref _inUse, -reserved);
        }
    }

    private bool TryReserve(long bytes)
    {
        while (true)
        {
            var current = Interlocked.Read(ref _inUse);
            if (current + bytes > _budget) return false;
            if (Interlocked.CompareExchange(ref _inUse, current + bytes, current) == current) return true;
        }
    }

    private static bool SignatureMatches(string? header, byte[] expected)
    {
        if (string.IsNullOrEmpty(header) || !header.StartsWith(WebhookSignature.GitHubPrefix, StringComparison.OrdinalIgnoreCase)) return false;
        var hex = header.AsSpan(WebhookSignature.GitHubPrefix.Length).Trim();
        byte[] given;
        try
        {
            given = Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            return false;
        }
        return given.Length == expected.Length && CryptographicOperations.FixedTimeEquals(given, expected);
    }
}
