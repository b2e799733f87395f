using System.Text.RegularExpressions;

namespace GitMirror.Core.Bootstrap;

/// <summary>
/// Adds GitMirror's job file to a repository's .gitlab-ci.yml as a textual edit, so every existing
/// line — comments, anchors, formatting — stays as the owner wrote it (a YAML round trip would drop
/// comments and reflow the file).
/// </summary>
public static partial class CiFilesComposer
{
    private const string IncludeEntry = "local: " + CiFiles.GitLabJobPath;

    /// <summary>
    /// The new .gitlab-ci.yml text: <paramref name="current"/> with
    /// <c>include: - local: .gitlab/gitmirror.gitlab-ci.yml</c> added; the same string when it is
    /// included already; a minimal file when there is none (null or blank).
    /// </summary>
    public static string AddInclude(string? current)
    {
        if (string.IsNullOrWhiteSpace(current)) return $"include:\n  - {IncludeEntry}\n";
        if (AlreadyIncluded().IsMatch(current)) return current;

        var newline = current.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        var lines = current.Split(newline).ToList();
        var includeAt = lines.FindIndex(l => TopLevelInclude().IsMatch(l));
        if (includeAt < 0)
        {
            // Appended, not prepended: a file may start with a `spec:` document before `---`.
            var text = current.EndsWith(newline, StringComparison.Ordinal) ? current : current + newline;
            return text + $"{newline}include:{newline}  - {IncludeEntry}{newline}";
        }

        var (value, comment) = SplitComment(TopLevelInclude().Match(lines[includeAt]).Groups["rest"].Value);
        if (value.Length > 0)
        {
            InsertIntoInlineInclude(lines, includeAt, value, comment);
        }
        else
        {
            InsertIntoBlockInclude(lines, includeAt);
        }
        return string.Join(newline, lines);
    }

    /// <summary><c>include: x.yml</c>, <c>include: {local: x}</c> or <c>include: [a, b]</c>.</summary>
    private static void InsertIntoInlineInclude(List<string> lines, int includeAt, string value, string comment)
    {
        if (value.StartsWith('[') && value.EndsWith(']'))
        {
            var inner = value[1..^1].Trim();
            var items = inner.Length == 0 ? $"{{{IncludeEntry}}}" : $"{inner}, {{{IncludeEntry}}}";
            lines[includeAt] = $"include: [{items}]{comment}";
            return;
        }
        // A string or a single mapping becomes the first item of a list.
        lines[includeAt] = "include:" + comment;
        lines.Insert(includeAt + 1, $"  - {value}");
        lines.Insert(includeAt + 2, $"  - {IncludeEntry}");
    }

    /// <summary><c>include:</c> followed by an indented list, or by a single mapping (local:, remote:, project: …).</summary>
    private static void InsertIntoBlockInclude(List<string> lines, int includeAt)
    {
        // The block runs while lines are blank, comments, indented, or list items at column 0.
        var lastContent = includeAt;
        for (var i = includeAt + 1; i < lines.Count; i++)
        {
            var line = lines[i];
            if (line.Trim().Length == 0 || line.TrimStart().StartsWith('#')) continue;
            if (char.IsWhiteSpace(line[0]) || line.StartsWith("- ", StringComparison.Ordinal) || line == "-") lastContent = i;
            else break;
        }
        var first = lines.Skip(includeAt + 1).Take(lastContent - includeAt)
            .Select((l, k) => (Line: l, Index: includeAt + 1 + k))
            .FirstOrDefault(x => x.Line.Trim().Length > 0 && !x.Line.TrimStart().StartsWith('#'));
        if (first.Line is null)
        {
            // `include:` with nothing under it (null): give it our list.
            lines.Insert(includeAt + 1, $"  - {IncludeEntry}");
            return;
        }

        var indent = first.Line.Length - first.Line.TrimStart().Length;
        var pad = new string(' ', indent);
        if (first.Line.TrimStart().StartsWith('-'))
        {
            lines.Insert(lastContent + 1, $"{pad}- {IncludeEntry}");
            return;
        }

        // A single mapping: make it the first list item (its keys move two columns right), then add ours.
        for (var i = first.Index; i <= lastContent; i++)
        {
            var line = lines[i];
            if (line.Trim().Length == 0 || line.TrimStart().StartsWith('#')) continue;
            lines[i] = i == first.Index ? pad + "- " + line.TrimStart() : "  " + line;
        }
        lines.Insert(lastContent + 1, $"{pad}- {IncludeEntry}");
    }

    /// <summary>Splits a YAML value from a trailing <c># comment</c> (a '#' after a space, outside quotes).</summary>
    private static (string Value, string Comment) SplitComment(string rest)
    {
        char? quote = null;
        for (var i = 0; i < rest.Length; i++)
        {
            var c = rest[i];
            if (quote is not null)
            {
                if (c == quote) quote = null;
            }
            else if (c is '\'' or '"')
            {
                quote = c;
            }
            else if (c == '#' && (i == 0 || char.IsWhiteSpace(rest[i - 1])))
            {
                var valueEnd = rest[..i].TrimEnd().Length;
                return (rest[..valueEnd].Trim(), rest[valueEnd..]);
            }
        }
        return (rest.Trim(), "");
    }

    [GeneratedRegex(@"^include:(?<rest>.*)$")]
    private static partial Regex TopLevelInclude();

    // Our file named as a local include in any of YAML's spellings: `local: x`, `- x`, `include: x`, quoted or not, with or without a leading '/'.
    [GeneratedRegex(@"^[^#\r\n]*(local:|include:|-|\[|,)\s*['""]?/?\.gitlab/gitmirror\.gitlab-ci\.yml['""]?\s*[,\]}\s]*(#.*)?$", RegexOptions.Multiline)]
    private static partial Regex AlreadyIncluded();
}
