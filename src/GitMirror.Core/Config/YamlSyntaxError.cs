using System.Text.RegularExpressions;
using YamlDotNet.Core;

namespace GitMirror.Core.Config;

/// <summary>
/// Turns the YAML parser's complaint into what a person fixes and where: the parser reports a tab
/// at the mapping it was reading (often 1:1) and an unclosed quote where it gave up (a line or more
/// later), in its own scanner's words.
/// </summary>
internal static partial class YamlSyntaxError
{
    public static MirrorConfigException Explain(YamlException e, string text, string fullPath)
    {
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        var reported = (Line: (int)e.Start.Line, Column: (int)e.Start.Column);
        var parserMessage = e.InnerException is { } inner && e.Message.StartsWith("(Line", StringComparison.Ordinal) ? inner.Message : e.Message;

        if (parserMessage.Contains("tab", StringComparison.OrdinalIgnoreCase) && TabIndentation(lines) is { } tab)
        {
            return new MirrorConfigException(fullPath, tab.Line, tab.Column, null,
                "invalid YAML: a tab indents this line; YAML indents with spaces only", e);
        }
        if (parserMessage.Contains("quoted scalar", StringComparison.OrdinalIgnoreCase)
            && UnclosedQuote(lines, reported.Line) is { } quote)
        {
            return new MirrorConfigException(fullPath, quote.Line, quote.Column, null,
                $"invalid YAML: the value quoted with {quote.Mark} here is not closed: end it with {quote.Mark} on the same line", e);
        }
        return new MirrorConfigException(fullPath, reported.Line, reported.Column, null, "invalid YAML: " + Plain(parserMessage), e);
    }

    /// <summary>The first line whose indentation holds a tab (1-based line and column of the tab).</summary>
    private static (int Line, int Column)? TabIndentation(string[] lines)
    {
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            for (var c = 0; c < line.Length && (line[c] == ' ' || line[c] == '\t'); c++)
            {
                if (line[c] == '\t') return (i + 1, c + 1);
            }
        }
        return null;
    }

    /// <summary>
    /// The opening quote of a value that is not closed on its line, searching back from where the
    /// parser gave up: a quoted value in repos.yaml never spans lines on purpose.
    /// </summary>
    private static (int Line, int Column, char Mark)? UnclosedQuote(string[] lines, int reportedLine)
    {
        for (var i = Math.Min(reportedLine, lines.Length) - 1; i >= 0; i--)
        {
            if (OpenQuoteAt(lines[i]) is { } column) return (i + 1, column + 1, lines[i][column]);
        }
        return null;
    }

    /// <summary>The index of a quote that opens a value and is not closed on the line, if any.</summary>
    private static int? OpenQuoteAt(string line)
    {
        var i = 0;
        while (i < line.Length)
        {
            var c = line[i];
            if (c == '#' && (i == 0 || line[i - 1] == ' ')) return null; // a comment
            // A quote opens a value only at its start: after "key: ", "- ", '[', '{' or ','.
            if ((c == '"' || c == '\'') && OpensValue(line, i))
            {
                var close = Closing(line, i);
                if (close < 0) return i;
                i = close + 1;
                continue;
            }
            i++;
        }
        return null;
    }

    private static bool OpensValue(string line, int i)
    {
        var before = line[..i].TrimEnd();
        return before.Length == 0 || before[^1] is ':' or '-' or '[' or '{' or ',';
    }

    private static int Closing(string line, int open)
    {
        var mark = line[open];
        for (var i = open + 1; i < line.Length; i++)
        {
            if (mark == '"' && line[i] == '\\') { i++; continue; }
            if (line[i] != mark) continue;
            if (mark == '\'' && i + 1 < line.Length && line[i + 1] == '\'') { i++; continue; } // '' inside '…'
            return i;
        }
        return -1;
    }

    /// <summary>The parser's scanner wording in a person's terms, where it has a well-known cause.</summary>
    private static string Plain(string message)
    {
        if (message.Contains("mapping values are not allowed", StringComparison.OrdinalIgnoreCase)
            || message.Contains("found invalid mapping", StringComparison.OrdinalIgnoreCase))
        {
            return "a 'key: value' where the line above it ends a value: check this line's indentation, and quote a value that holds ': '";
        }
        if (message.Contains("did not find expected key", StringComparison.OrdinalIgnoreCase)
            || message.Contains("did not find expected '-' indicator", StringComparison.OrdinalIgnoreCase))
        {
            return "this line does not line up with the keys or list items around it: check its indentation";
        }
        return MarkPattern().Replace(message, "").Trim();
    }

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\):\s*")]
    private static partial Regex MarkPattern();
}
