using System.Text;

namespace GitMirror.Core.Report;

/// <summary>
/// Builds PowerShell source that a person pastes or a completer inserts, from names a forge chose
/// (refs, repositories, paths). Anyone who can push a branch picks its name, so every quote
/// character PowerShell honours is escaped, not only the ASCII one.
/// </summary>
public static class PowerShellQuoting
{
    /// <summary>
    /// A PowerShell expression whose value is exactly <paramref name="value"/>: a single-quoted
    /// string with each single-quote character doubled (PowerShell reads <c>'</c>, U+2018, U+2019,
    /// U+201A and U+201B as single quotes), as <c>CodeGeneration.EscapeSingleQuotedStringContent</c>
    /// does. Control characters cannot be seen in a pasted line, so they are spelled as
    /// <c>[char]0xNN</c> joined to the quoted parts with <c>+</c>, in parentheses.
    /// </summary>
    public static string SingleQuoted(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!value.Any(char.IsControl))
        {
            return "'" + EscapeSingleQuotedContent(value) + "'";
        }
        var parts = new List<string>();
        var literal = new StringBuilder();
        foreach (var c in value)
        {
            if (char.IsControl(c))
            {
                if (literal.Length > 0)
                {
                    parts.Add("'" + EscapeSingleQuotedContent(literal.ToString()) + "'");
                    literal.Clear();
                }
                parts.Add($"[char]0x{(int)c:X2}");
            }
            else
            {
                literal.Append(c);
            }
        }
        if (literal.Length > 0)
        {
            parts.Add("'" + EscapeSingleQuotedContent(literal.ToString()) + "'");
        }
        // A leading string makes '+' concatenate text even when the first part is a [char].
        return "(''+" + string.Join("+", parts) + ")";
    }

    /// <summary>The content of a single-quoted string: every single-quote character doubled.</summary>
    public static string EscapeSingleQuotedContent(string value)
    {
        var text = new StringBuilder(value.Length + 2);
        foreach (var c in value)
        {
            text.Append(c);
            if (IsSingleQuote(c))
            {
                text.Append(c);
            }
        }
        return text.ToString();
    }

    public static bool IsSingleQuote(char c) => c is '\'' or '\u2018' or '\u2019' or '\u201A' or '\u201B';
}
