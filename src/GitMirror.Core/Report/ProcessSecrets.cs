using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

namespace GitMirror.Core.Report;

/// <summary>
/// Every secret value this process sends anywhere besides the tokens — a deploy key's private
/// half stored as a CI variable, a variable's value, a webhook secret — registered the moment it
/// is sent, so a server that echoes a request body cannot put one into an exception text, log or
/// error record: <see cref="Scrub"/> masks them all (and their JSON-escaped form, and each long
/// line of a multi-line key, in case only part comes back).
/// </summary>
public static class ProcessSecrets
{
    private const int MinimumLength = 8;
    private const int MinimumLineLength = 16;

    private static readonly ConcurrentDictionary<string, byte> Values = new(StringComparer.Ordinal);
    private static volatile string[] _ordered = [];

    public static void Register(string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Trim().Length < MinimumLength) return;
        var added = false;
        foreach (var form in Forms(value))
        {
            added |= Values.TryAdd(form, 0);
        }
        if (added) _ordered = [.. Values.Keys.OrderByDescending(k => k.Length)];
    }

    private static IEnumerable<string> Forms(string value)
    {
        yield return value;
        yield return value.Trim();
        var json = JsonSerializer.Serialize(value);
        yield return json[1..^1];
        yield return Uri.EscapeDataString(value);
        foreach (var line in value.Split('\n'))
        {
            var trimmed = line.Trim();
            if (trimmed.Length >= MinimumLineLength && !trimmed.StartsWith("-----", StringComparison.Ordinal)) yield return trimmed;
        }
    }

    /// <summary>The text with every registered secret replaced by <c>***</c>.</summary>
    public static string Scrub(string text)
    {
        if (string.IsNullOrEmpty(text)) return text;
        var secrets = _ordered;
        foreach (var secret in secrets)
        {
            if (text.Contains(secret, StringComparison.Ordinal)) text = text.Replace(secret, SecretRedactor.Mask, StringComparison.Ordinal);
        }
        return text;
    }
}

/// <summary>
/// Text a server chose (an error body, a message) is shown only as printable text: a terminal
/// escape (ESC ] 0 ; title BEL, ESC [ 2 J) or a carriage return in it would otherwise reach the
/// operator's console raw through a warning or an error record.
/// </summary>
public static class ServerText
{
    /// <summary>Every control character except newline and tab dropped (C0, DEL, C1 — U+009B is a CSI too).</summary>
    public static string Printable(string text)
    {
        if (string.IsNullOrEmpty(text) || !text.Any(IsUnsafe)) return text;
        var clean = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (!IsUnsafe(c)) clean.Append(c);
        }
        return clean.ToString();
    }

    private static bool IsUnsafe(char c) => char.IsControl(c) && c is not ('\n' or '\t');
}
