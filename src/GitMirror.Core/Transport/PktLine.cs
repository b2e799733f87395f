using System.Globalization;
using System.Text;

namespace GitMirror.Core.Transport;

/// <summary>The git wire protocol's framing: a 4-hex-digit length (including itself), then the payload.</summary>
internal static class PktLine
{
    public const string Flush = "0000";
    public const string Delimiter = "0001";
    public const int DelimiterCode = 1;

    /// <summary>A data packet with <paramref name="text"/> and a trailing newline.</summary>
    public static string Data(string text)
    {
        var payload = text + "\n";
        return (Encoding.UTF8.GetByteCount(payload) + 4).ToString("x4", CultureInfo.InvariantCulture) + payload;
    }

    /// <summary>
    /// Reads one packet: its text without the trailing newline, or null for a flush, delimiter or
    /// response-end packet (<paramref name="special"/> tells which). A missing packet is a protocol error.
    /// </summary>
    public static async Task<(string? Text, int Special)> ReadAsync(GitHttpExchange exchange, string remote)
    {
        var (payload, special) = await ReadBytesAsync(exchange, remote);
        if (payload is null) return (null, special);
        var text = Encoding.UTF8.GetString(payload).TrimEnd('\n');
        if (text.StartsWith("ERR ", StringComparison.Ordinal))
        {
            throw exchange.Fail(new GitTransportException(TransportFailureKind.Protocol, $"{remote}: the server reported an error: {text[4..]}"));
        }
        return (text, 0);
    }

    /// <summary>
    /// Reads one packet's payload as it is (side-band data carries packets of its own), or null for a
    /// flush, delimiter or response-end packet (<paramref name="special"/> tells which).
    /// </summary>
    public static async Task<(byte[]? Payload, int Special)> ReadBytesAsync(GitHttpExchange exchange, string remote)
    {
        var header = new byte[4];
        if (!await exchange.ReadExactlyAsync(header))
        {
            throw exchange.Fail(new GitTransportException(TransportFailureKind.Protocol, $"{remote}: the server's answer ended early."));
        }
        if (!TryParseLength(header, out var length))
        {
            throw exchange.Fail(new GitTransportException(TransportFailureKind.Protocol, $"{remote}: the server's answer is not the git protocol."));
        }
        if (length < 4) return (null, length);
        var payload = new byte[length - 4];
        if (!await exchange.ReadExactlyAsync(payload) && payload.Length > 0)
        {
            throw exchange.Fail(new GitTransportException(TransportFailureKind.Protocol, $"{remote}: the server's answer ended early."));
        }
        return (payload, 0);
    }

    /// <summary>
    /// Splits bytes that hold whole packets (a side-band's data) into their texts, without trailing
    /// newlines, up to the first flush; null when they are not packets.
    /// </summary>
    public static List<string>? Split(ReadOnlySpan<byte> packets)
    {
        var lines = new List<string>();
        while (packets.Length >= 4)
        {
            if (!TryParseLength(packets[..4], out var length) || (length >= 4 && length > packets.Length)) return null;
            if (length < 4) break;
            lines.Add(Encoding.UTF8.GetString(packets[4..length]).TrimEnd('\n'));
            packets = packets[length..];
        }
        return lines;
    }

    /// <summary>Hands each packet's text to <paramref name="onLine"/> until a flush (or response-end); delimiters separate sections.</summary>
    public static async Task ReadUntilFlushAsync(GitHttpExchange exchange, string remote, Action<string> onLine)
    {
        while (true)
        {
            var (line, special) = await ReadAsync(exchange, remote);
            if (line is null)
            {
                if (special == DelimiterCode) continue;
                return;
            }
            onLine(line);
        }
    }

    private static bool TryParseLength(ReadOnlySpan<byte> header, out int length) =>
        int.TryParse(Encoding.ASCII.GetString(header), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out length);
}
