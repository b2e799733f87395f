using System.Collections.ObjectModel;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;

namespace GitMirror.Host;

/// <summary>
/// Output on stdout; errors, warnings, verbose and debug lines on stderr, so stdout stays the data a
/// caller can parse. Prompts (-Confirm, mandatory parameters) read lines from stdin.
/// </summary>
internal sealed class ConsoleUserInterface : PSHostUserInterface
{
    private readonly object _sync = new();
    private readonly ConsoleRawUserInterface _rawUI = new();
    private bool _progressLineShown;

    public override PSHostRawUserInterface RawUI => _rawUI;

    /// <summary>Colours only when a person watches stdout; a log file or a pipe gets plain text.</summary>
    public override bool SupportsVirtualTerminal => !Console.IsOutputRedirected;

    public override void Write(string value) => Out(value);

    public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => Out(value);

    public override void WriteLine(string value) => Out(value + Environment.NewLine);

    public override void WriteErrorLine(string value) => Err(value);

    public override void WriteWarningLine(string message) => Err("WARNING: " + message);

    public override void WriteVerboseLine(string message) => Err("VERBOSE: " + message);

    public override void WriteDebugLine(string message) => Err("DEBUG: " + message);

    /// <summary>
    /// A status line on a terminal's stderr, rewritten in place; nothing at all when stderr is a file
    /// or a pipe, where progress would only be noise in a log.
    /// </summary>
    public override void WriteProgress(long sourceId, ProgressRecord record)
    {
        if (Console.IsErrorRedirected) return;
        lock (_sync)
        {
            var width = Math.Max(20, _rawUI.BufferSize.Width - 1);
            if (record.RecordType == ProgressRecordType.Completed)
            {
                if (_progressLineShown) Console.Error.Write("\r" + new string(' ', width) + "\r");
                _progressLineShown = false;
                return;
            }
            var percent = record.PercentComplete >= 0 ? $" {record.PercentComplete}%" : "";
            var line = $"{record.Activity}: {record.StatusDescription}{percent}";
            if (line.Length > width) line = line[..width];
            Console.Error.Write("\r" + line.PadRight(width));
            _progressLineShown = true;
        }
    }

    public override string ReadLine()
    {
        lock (_sync) Console.Out.Flush();
        return Console.In.ReadLine() ?? throw new PromptingException("Standard input is closed: gitmirror cannot ask for an answer.");
    }

    public override SecureString ReadLineAsSecureString() => throw SecretsNotSupported();

    public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions)
    {
        WritePromptHeader(caption, message);
        var answers = new Dictionary<string, PSObject>(StringComparer.OrdinalIgnoreCase);
        foreach (var field in descriptions)
        {
            var type = field.ParameterTypeFullName ?? "";
            if (type.EndsWith("SecureString", StringComparison.Ordinal) || type.EndsWith("PSCredential", StringComparison.Ordinal))
            {
                throw SecretsNotSupported();
            }
            Write($"{field.Name}: ");
            answers[field.Name] = PSObject.AsPSObject(ReadLine());
        }
        return answers;
    }

    public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice)
    {
        WritePromptHeader(caption, message);
        var hotkeys = choices.Select(HotkeyOf).ToArray();
        var menu = string.Join("  ", choices.Select((c, i) => $"[{hotkeys[i]}] {c.Label.Replace("&", "", StringComparison.Ordinal)}"));
        var defaultText = defaultChoice >= 0 && defaultChoice < choices.Count ? $" (default is \"{hotkeys[defaultChoice]}\")" : "";
        while (true)
        {
            Write($"{menu}  [?] Help{defaultText}: ");
            var answer = ReadLine().Trim();
            if (answer.Length == 0 && defaultText.Length > 0) return defaultChoice;
            if (answer == "?")
            {
                for (var i = 0; i < choices.Count; i++) WriteLine($"{hotkeys[i]} - {choices[i].HelpMessage}");
                continue;
            }
            for (var i = 0; i < choices.Count; i++)
            {
                if (answer.Equals(hotkeys[i], StringComparison.OrdinalIgnoreCase)
                    || answer.Equals(choices[i].Label.Replace("&", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase))
                {
                    return i;
                }
            }
        }
    }

    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) => throw SecretsNotSupported();

    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName,
        PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options) => throw SecretsNotSupported();

    private void WritePromptHeader(string caption, string message)
    {
        if (!string.IsNullOrEmpty(caption)) WriteLine(caption);
        if (!string.IsNullOrEmpty(message)) WriteLine(message);
    }

    /// <summary>The letter after '&amp;' in a choice label ("&amp;Yes" → Y), else its first letter.</summary>
    private static string HotkeyOf(ChoiceDescription choice)
    {
        var label = choice.Label;
        var amp = label.IndexOf('&', StringComparison.Ordinal);
        var key = amp >= 0 && amp + 1 < label.Length ? label[amp + 1] : label.FirstOrDefault(' ');
        return char.ToUpper(key, CultureInfo.CurrentCulture).ToString();
    }

    private static PSNotSupportedException SecretsNotSupported() =>
        new("gitmirror does not read secrets from the console: tokens come from the environment variables named in repos.yaml.");

    private void Out(string text)
    {
        lock (_sync)
        {
            ClearProgressLine();
            // The formatter decorates table headers with VT sequences; this drops them per $PSStyle.OutputRendering.
            Console.Out.Write(GetOutputString(text, SupportsVirtualTerminal));
        }
    }

    private void Err(string line)
    {
        lock (_sync)
        {
            ClearProgressLine();
            Console.Out.Flush(); // keeps the two streams in order on a terminal
            Console.Error.WriteLine(GetOutputString(line, !Console.IsErrorRedirected));
        }
    }

    private void ClearProgressLine()
    {
        if (!_progressLineShown) return;
        Console.Error.Write("\r" + new string(' ', Math.Max(20, _rawUI.BufferSize.Width - 1)) + "\r");
        _progressLineShown = false;
    }
}
