using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;
using System.Text;

namespace GitMirror.PowerShell.Tests;

/// <summary>
/// The least host that lets Out-Default render objects through the format views in a hosted
/// runspace, as the gitmirror host renders them: everything written lands in <see cref="Text"/>.
/// </summary>
public sealed class TextHost : PSHost
{
    private readonly TextHostUserInterface _ui = new();

    public string Text => _ui.Written.ToString();

    /// <summary>How to answer confirmation prompts, by choice label ("Yes", "No"); null: prompting fails, as in a non-interactive host.</summary>
    public string? ChoiceAnswer
    {
        get => _ui.ChoiceAnswer;
        set => _ui.ChoiceAnswer = value;
    }

    /// <summary>Every prompt shown: caption, a newline, message.</summary>
    public IReadOnlyList<string> Prompts => _ui.Prompts;

    public override string Name => "GitMirror.Tests";
    public override Version Version => new(1, 0);
    public override Guid InstanceId { get; } = Guid.NewGuid();
    public override CultureInfo CurrentCulture => CultureInfo.InvariantCulture;
    public override CultureInfo CurrentUICulture => CultureInfo.InvariantCulture;
    public override PSHostUserInterface UI => _ui;
    public override void EnterNestedPrompt() => throw new NotSupportedException();
    public override void ExitNestedPrompt() => throw new NotSupportedException();
    public override void NotifyBeginApplication() { }
    public override void NotifyEndApplication() { }
    public override void SetShouldExit(int exitCode) { }

    private sealed class TextHostUserInterface : PSHostUserInterface
    {
        public StringBuilder Written { get; } = new();
        public override PSHostRawUserInterface RawUI { get; } = new FixedWidthRawUI();
        // The formatter emits VT sequences whatever $PSStyle.OutputRendering says; a host strips them
        // with GetOutputString, as ConsoleHost does when its output is redirected.
        public override void Write(string value) => Written.Append(GetOutputString(value, supportsVirtualTerminal: false));
        public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => Write(value);
        public override void WriteLine(string value) => Write(value + "\n");
        public override void WriteErrorLine(string value) => Write(value + "\n");
        public override void WriteDebugLine(string message) { }
        public override void WriteProgress(long sourceId, ProgressRecord record) { }
        public override void WriteVerboseLine(string message) { }
        public override void WriteWarningLine(string message) { }
        public override Dictionary<string, PSObject> Prompt(string caption, string message, System.Collections.ObjectModel.Collection<FieldDescription> descriptions) => throw new NotSupportedException();
        public string? ChoiceAnswer { get; set; }

        public List<string> Prompts { get; } = [];

        public override int PromptForChoice(string caption, string message, System.Collections.ObjectModel.Collection<ChoiceDescription> choices, int defaultChoice)
        {
            if (ChoiceAnswer is null) throw new NotSupportedException();
            Prompts.Add(caption + "\n" + message);
            var index = choices.ToList().FindIndex(c => c.Label.Replace("&", "") == ChoiceAnswer);
            return index >= 0 ? index : throw new InvalidOperationException($"no choice '{ChoiceAnswer}' in {string.Join(", ", choices.Select(c => c.Label))}");
        }
        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) => throw new NotSupportedException();
        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName, PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options) => throw new NotSupportedException();
        public override string ReadLine() => throw new NotSupportedException();
        public override SecureString ReadLineAsSecureString() => throw new NotSupportedException();
    }

    /// <summary>A 120-column window: the width tables are laid out for.</summary>
    private sealed class FixedWidthRawUI : PSHostRawUserInterface
    {
        public override ConsoleColor BackgroundColor { get; set; }
        public override ConsoleColor ForegroundColor { get; set; }
        public override Size BufferSize { get; set; } = new(120, 9999);
        public override Coordinates CursorPosition { get; set; }
        public override int CursorSize { get; set; }
        public override bool KeyAvailable => false;
        public override Size MaxPhysicalWindowSize => new(120, 50);
        public override Size MaxWindowSize => new(120, 50);
        public override Coordinates WindowPosition { get; set; }
        public override Size WindowSize { get; set; } = new(120, 50);
        public override string WindowTitle { get; set; } = "";
        public override void FlushInputBuffer() { }
        public override BufferCell[,] GetBufferContents(Rectangle rectangle) => throw new NotSupportedException();
        public override KeyInfo ReadKey(ReadKeyOptions options) => throw new NotSupportedException();
        public override void ScrollBufferContents(Rectangle source, Coordinates destination, Rectangle clip, BufferCell fill) => throw new NotSupportedException();
        public override void SetBufferContents(Coordinates origin, BufferCell[,] contents) => throw new NotSupportedException();
        public override void SetBufferContents(Rectangle rectangle, BufferCell fill) => throw new NotSupportedException();
    }
}
