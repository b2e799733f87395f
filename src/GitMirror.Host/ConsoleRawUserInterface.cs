using System.Management.Automation.Host;

namespace GitMirror.Host;

/// <summary>
/// Just enough of a console for the formatter: its width decides how tables are laid out. Output
/// that is not a terminal (a log, a pipe, a test) gets a fixed 120 columns, so it never depends on
/// whoever started the process.
/// </summary>
internal sealed class ConsoleRawUserInterface : PSHostRawUserInterface
{
    public const int RedirectedWidth = 120;

    public override ConsoleColor ForegroundColor { get; set; } = ConsoleColor.Gray;

    public override ConsoleColor BackgroundColor { get; set; } = ConsoleColor.Black;

    public override Coordinates CursorPosition { get; set; }

    public override Coordinates WindowPosition { get; set; }

    public override int CursorSize { get; set; } = 25;

    public override Size BufferSize
    {
        get => new(TerminalWidth() ?? RedirectedWidth, short.MaxValue);
        set { }
    }

    public override Size WindowSize
    {
        get => new(BufferSize.Width, 50);
        set { }
    }

    public override Size MaxWindowSize => WindowSize;

    public override Size MaxPhysicalWindowSize => WindowSize;

    public override bool KeyAvailable => false;

    public override string WindowTitle { get; set; } = "gitmirror";

    public override KeyInfo ReadKey(ReadKeyOptions options) => throw new NotSupportedException("gitmirror reads whole lines, not keys.");

    public override void FlushInputBuffer()
    {
    }

    public override void SetBufferContents(Coordinates origin, BufferCell[,] contents) => throw new NotSupportedException();

    public override void SetBufferContents(Rectangle rectangle, BufferCell fill) => throw new NotSupportedException();

    public override BufferCell[,] GetBufferContents(Rectangle rectangle) => throw new NotSupportedException();

    public override void ScrollBufferContents(Rectangle source, Coordinates destination, Rectangle clip, BufferCell fill) => throw new NotSupportedException();

    private static int? TerminalWidth()
    {
        if (Console.IsOutputRedirected) return null;
        try
        {
            var width = Console.WindowWidth;
            return width > 0 ? width : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
