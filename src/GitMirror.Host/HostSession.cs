using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;

namespace GitMirror.Host;

/// <summary>
/// One runspace (the full engine of Microsoft.PowerShell.SDK: the Utility and Management cmdlets
/// too, so a script that runs under pwsh runs here unchanged) that imports GitMirror, runs
/// a command line or a script through Out-Default, and turns what happened into an exit code.
/// </summary>
internal sealed partial class HostSession : IDisposable
{
    private readonly ConsoleHost _host = new();
    private readonly Runspace _runspace;
    private System.Management.Automation.PowerShell? _running;
    private volatile bool _interrupted;
    private bool _errorWritten;
    private bool _usageErrorWritten;

    public HostSession()
    {
        var state = InitialSessionState.CreateDefault2();
        // The user named the script on our command line, as with `pwsh -ExecutionPolicy Bypass -File`;
        // policies set by Group Policy still win. Windows only: elsewhere setting it throws.
        if (OperatingSystem.IsWindows()) state.ExecutionPolicy = Microsoft.PowerShell.ExecutionPolicy.Bypass;
        _runspace = RunspaceFactory.CreateRunspace(_host, state);
        _runspace.Open();
        // After Open: opening a runspace resets $PSStyle.
        if (Console.IsOutputRedirected) PSStyle.Instance.OutputRendering = OutputRendering.PlainText;
    }

    /// <summary>
    /// Ctrl+C (SIGINT) stops the running pipeline instead of killing the process: the cmdlets'
    /// StopProcessing cancels their work, and the run ends with exit code 130. A second Ctrl+C
    /// while stopping ends the process at once.
    /// </summary>
    public IDisposable StopOnInterrupt()
    {
        ConsoleCancelEventHandler handler = (_, e) =>
        {
            if (_interrupted) return;
            e.Cancel = true;
            _interrupted = true;
            _running?.BeginStop(null, null);
        };
        Console.CancelKeyPress += handler;
        return new Unsubscriber(() => Console.CancelKeyPress -= handler);
    }

    public int Run(CommandLine commandLine, string modulePath)
    {
        if (!Invoke(ps => ps.AddCommand("Import-Module").AddParameter("Name", modulePath).AddParameter("ErrorAction", "Stop")))
        {
            // A host without a working module is an installation to fix; nothing ran.
            return _interrupted ? ExitCodes.Interrupted : ExitCodes.BadUsage;
        }
        StartupTrace.Mark("module imported");
        _errorWritten = _usageErrorWritten = false;

        switch (commandLine)
        {
            case CommandLine.Command command:
                Parser.ParseInput(command.Text, out _, out var errors);
                if (!ParsedCleanly(errors)) return ExitCodes.BadUsage;
                Invoke(ps => ps.AddScript(command.Text).AddCommand("Out-Default"));
                break;
            case CommandLine.File file:
                var path = Path.GetFullPath(file.Path);
                if (!path.EndsWith(".ps1", StringComparison.OrdinalIgnoreCase) || !File.Exists(path))
                {
                    Console.Error.WriteLine($"gitmirror: -File needs an existing .ps1 script; '{file.Path}' is not one.");
                    return ExitCodes.BadUsage;
                }
                var script = Parser.ParseFile(path, out _, out var fileErrors);
                if (!ParsedCleanly(fileErrors)) return ExitCodes.BadUsage;
                Invoke(ps =>
                {
                    AddScriptFile(ps, script, file.Arguments);
                    ps.AddCommand("Out-Default");
                });
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(commandLine));
        }
        return ExitCode();
    }

    /// <summary>
    /// In order: Ctrl+C → 130; `exit N` → N; Sync-MirrorPair's own code when it ran; 3 after a usage
    /// error; 2 after any other error record; else 0. A sync's 0 does not hide error records: a sync
    /// fed no pair (a misspelt `Get-MirrorPair x |`, objects it cannot bind) ends clean with nothing done.
    /// </summary>
    private int ExitCode()
    {
        if (_interrupted) return ExitCodes.Interrupted;
        if (_host.ExitCode is { } exitCode) return exitCode;
        if (SyncExitCode() is { } syncCode && (syncCode != ExitCodes.Success || !_errorWritten)) return syncCode;
        if (_usageErrorWritten) return ExitCodes.BadUsage;
        return _errorWritten ? ExitCodes.Failed : ExitCodes.Success;
    }

    private int? SyncExitCode()
    {
        var value = _runspace.SessionStateProxy.GetVariable(ExitCodes.SyncVariableName);
        return value is null ? null : LanguagePrimitives.TryConvertTo<int>(value, out var code) ? code : null;
    }

    /// <summary>Runs one pipeline, its errors to stderr; false when it did not complete.</summary>
    private bool Invoke(Action<System.Management.Automation.PowerShell> build)
    {
        using var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = _runspace;
        build(ps);
        RouteErrors(ps);
        _running = ps;
        try
        {
            if (_interrupted) return false; // Ctrl+C arrived before there was anything to stop
            ps.Invoke();
            return ps.InvocationStateInfo.State == PSInvocationState.Completed;
        }
        catch (PipelineStoppedException)
        {
            return false;
        }
        catch (RuntimeException e)
        {
            WriteError(e.ErrorRecord);
            return false;
        }
        finally
        {
            _running = null;
        }
    }

    /// <summary>
    /// Error records only reach the PowerShell object's Error collection: show them as they come.
    /// The engine itself gives warning, verbose, debug, information and progress records to the host
    /// UI, after applying their preference variables.
    /// </summary>
    private void RouteErrors(System.Management.Automation.PowerShell ps)
    {
        var errors = ps.Streams.Error;
        errors.DataAdded += (_, e) => WriteError(errors[e.Index]);
    }

    private void WriteError(ErrorRecord record)
    {
        _errorWritten = true;
        _usageErrorWritten |= IsUsageError(record);
        _host.UI.WriteErrorLine(ConciseView(record));
    }

    /// <summary>
    /// A command line that never got to run is a usage error (exit 3), like a bad repos.yaml: a
    /// syntax error, a misspelled command or parameter, an argument that fails validation. Retrying
    /// cannot help and nothing was changed, which is what 3 tells a scheduler, unlike 2 (a run failed).
    /// Only the engine's own "command not found" counts: Get-Command reports a missing name with the
    /// same exception, and that is a lookup that ran.
    /// </summary>
    private static bool IsUsageError(ErrorRecord record) => record.Exception switch
    {
        ParameterBindingException or ParseException => true,
        CommandNotFoundException => record.InvocationInfo?.MyCommand is null,
        _ => record.FullyQualifiedErrorId.StartsWith("MirrorConfigInvalid", StringComparison.Ordinal),
    };

    /// <summary>Like PowerShell's ConciseView: "Command: message".</summary>
    private static string ConciseView(ErrorRecord record)
    {
        var message = record.ErrorDetails?.Message is { Length: > 0 } details ? details : record.Exception.Message;
        var source = record.InvocationInfo?.MyCommand?.Name is { Length: > 0 } name ? name
            : record.Exception is CommandNotFoundException && record.TargetObject is string missing ? missing
            : null;
        return source is null ? message : $"{source}: {message}";
    }

    private bool ParsedCleanly(ParseError[] errors)
    {
        foreach (var error in errors)
        {
            var where = error.Extent.File is { } file ? $"{file}:{error.Extent.StartLineNumber}:{error.Extent.StartColumnNumber}" : $"{error.Extent.StartLineNumber}:{error.Extent.StartColumnNumber}";
            _host.UI.WriteErrorLine($"ParserError: {where}: {error.Message}");
        }
        return errors.Length == 0;
    }

    /// <summary>
    /// Runs the script the way pwsh -File does, with two differences that only a hosted engine needs:
    /// the file runs as a script block parsed from it (it keeps its path, so $PSScriptRoot works), because
    /// `exit N` in a script *file* only sets $LASTEXITCODE here, while from a script block it reaches
    /// SetShouldExit like pwsh's internal -File switch makes it. Arguments are bound by PowerShell
    /// itself: "-Name" stays a parameter name (a switch, or its value follows), "-Name:value" carries
    /// its value ($true/$false for switches), everything else is positional; values are passed as
    /// $args, never pasted into code.
    /// </summary>
    private static void AddScriptFile(System.Management.Automation.PowerShell ps, ScriptBlockAst script, IReadOnlyList<string> arguments)
    {
        var invocation = new System.Text.StringBuilder("& $args[0]");
        var values = new List<object> { script.GetScriptBlock() };
        foreach (var argument in arguments)
        {
            invocation.Append(' ');
            var parameter = ParameterName().Match(argument);
            if (parameter.Success && !parameter.Groups["colon"].Success)
            {
                invocation.Append(argument); // the whole argument matched: a bare "-Name", safe to place in code
                continue;
            }
            var value = argument;
            if (parameter.Success)
            {
                invocation.Append(parameter.Value);
                value = argument[parameter.Length..];
            }
            invocation.Append("$args[").Append(values.Count).Append(']');
            values.Add(parameter.Success && value is "$true" or "$false" ? value == "$true" : value);
        }
        ps.AddScript(invocation.ToString());
        foreach (var value in values) ps.AddArgument(value);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^-[A-Za-z_][A-Za-z0-9_]*((?<colon>:)|$)", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex ParameterName();

    public void Dispose() => _runspace.Dispose();

    private sealed class Unsubscriber(Action unsubscribe) : IDisposable
    {
        public void Dispose() => unsubscribe();
    }
}
