using System.Text;

namespace GitMirror.HelpGen;

/// <summary>
/// Writes an about_ topic as the plain text Get-Help prints: headings in capitals at the margin,
/// text wrapped and indented four spaces, code and tables indented eight and never wrapped.
/// </summary>
public static class AboutTopicWriter
{
    private const int Width = 80;

    public static string Render(Section root)
    {
        var text = new StringBuilder();
        foreach (var section in root.Children) Render(section, text);
        return text.ToString().TrimEnd() + "\n";
    }

    private static void Render(Section section, StringBuilder text)
    {
        if (section.Level == 1)
        {
            // The first line Get-Help looks for: TOPIC, then the topic's name.
            text.Append("TOPIC\n    ").Append(section.Title).Append("\n\n");
        }
        else
        {
            text.Append(section.Level == 2 ? section.Title.ToUpperInvariant() : "  " + section.Title).Append('\n');
        }
        foreach (var block in section.Blocks)
        {
            switch (block.Kind)
            {
                case BlockKind.Code:
                    foreach (var line in block.Text.Split('\n')) text.Append("        ").Append(line).Append('\n');
                    break;
                case BlockKind.ListItem:
                    Wrap(text, Markdown.Plain(block.Text), "    - ", "      ");
                    break;
                default:
                    Wrap(text, Markdown.Plain(block.Text), "    ", "    ");
                    break;
            }
            text.Append('\n');
        }
        foreach (var child in section.Children) Render(child, text);
    }

    private static void Wrap(StringBuilder text, string paragraph, string firstIndent, string indent)
    {
        var line = new StringBuilder(firstIndent);
        var lineHasWord = false;
        foreach (var word in paragraph.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (lineHasWord && line.Length + 1 + word.Length > Width)
            {
                text.Append(line).Append('\n');
                line.Clear().Append(indent);
                lineHasWord = false;
            }
            if (lineHasWord) line.Append(' ');
            line.Append(word);
            lineHasWord = true;
        }
        text.Append(line).Append('\n');
    }
}
