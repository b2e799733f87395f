namespace GitMirror.HelpGen;

/// <summary>A block of markdown text: a paragraph (lines joined by spaces), a list item, or a fenced code block.</summary>
public sealed record Block(BlockKind Kind, string Text, string? Language = null);

public enum BlockKind
{
    Paragraph,
    ListItem,
    Code,
}

/// <summary>A heading with the blocks under it and its sub-headings.</summary>
public sealed class Section(string title, int level, int line)
{
    public string Title { get; } = title;
    public int Level { get; } = level;
    public int Line { get; } = line;
    public List<Block> Blocks { get; } = [];
    public List<Section> Children { get; } = [];
}

/// <summary>
/// The little markdown this help needs: ATX headings, paragraphs, "- " list items, fenced code
/// and tables (kept verbatim as code, so columns stay aligned in plain text). Nothing else.
/// </summary>
public static partial class Markdown
{
    [System.Text.RegularExpressions.GeneratedRegex(@"^\d+\. ")]
    private static partial System.Text.RegularExpressions.Regex NumberedItem();

    /// <summary>Parses a file into a root section whose children are its top-level headings.</summary>
    public static Section Parse(string text)
    {
        var root = new Section("", 0, 0);
        var stack = new Stack<Section>();
        stack.Push(root);
        var lines = text.Replace("\r\n", "\n").Split('\n');
        var paragraph = new List<string>();
        var i = 0;

        void FlushParagraph()
        {
            if (paragraph.Count == 0) return;
            var joined = string.Join(' ', paragraph.Select(l => l.Trim()));
            stack.Peek().Blocks.Add(joined.StartsWith("- ", StringComparison.Ordinal)
                ? new Block(BlockKind.ListItem, joined[2..])
                : new Block(BlockKind.Paragraph, joined));
            paragraph.Clear();
        }

        // Front matter (platyPS style) is metadata for editors, not help text.
        if (lines.Length > 0 && lines[0] == "---")
        {
            i = Array.IndexOf(lines, "---", 1) + 1;
        }

        for (; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                FlushParagraph();
                var language = line[3..].Trim();
                var code = new List<string>();
                for (i++; i < lines.Length && !lines[i].StartsWith("```", StringComparison.Ordinal); i++) code.Add(lines[i]);
                stack.Peek().Blocks.Add(new Block(BlockKind.Code, string.Join('\n', code), language.Length == 0 ? null : language));
            }
            else if (line.StartsWith('#'))
            {
                FlushParagraph();
                var level = line.TakeWhile(c => c == '#').Count();
                var section = new Section(line[level..].Trim(), level, i + 1);
                while (stack.Peek().Level >= level) stack.Pop();
                stack.Peek().Children.Add(section);
                stack.Push(section);
            }
            else if (line.TrimStart().StartsWith('|'))
            {
                FlushParagraph();
                var table = new List<string>();
                for (; i < lines.Length && lines[i].TrimStart().StartsWith('|'); i++) table.Add(lines[i].Trim());
                i--;
                // Plain text shows a table as aligned columns: drop the pipes and the header rule.
                table = table.Where(row => row.Any(c => c is not ('|' or '-' or ':' or ' ')))
                    .Select(row => row.Trim('|').Trim().Replace(" | ", "  ")).ToList();
                stack.Peek().Blocks.Add(new Block(BlockKind.Code, string.Join('\n', table)));
            }
            else if (string.IsNullOrWhiteSpace(line))
            {
                FlushParagraph();
            }
            else
            {
                // A list item starts a new block even without a blank line before it.
                if (line.StartsWith("- ", StringComparison.Ordinal) || NumberedItem().IsMatch(line)) FlushParagraph();
                paragraph.Add(line);
            }
        }
        FlushParagraph();
        return root;
    }

    /// <summary>Removes inline markup that plain-text help cannot show: `code`, **bold**, [text](link).</summary>
    public static string Plain(string text)
    {
        var withoutLinks = System.Text.RegularExpressions.Regex.Replace(text, @"\[([^\]]+)\]\([^)]*\)", "$1");
        return withoutLinks.Replace("`", "").Replace("**", "");
    }
}
