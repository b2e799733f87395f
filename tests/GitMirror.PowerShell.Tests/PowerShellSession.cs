using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Management.Automation.Runspaces;

namespace GitMirror.PowerShell.Tests;

/// <summary>A hosted runspace (the full engine of Microsoft.PowerShell.SDK, as in the gitmirror host) with the built module imported.</summary>
public sealed class PowerShellSession : IDisposable
{
    private readonly Runspace _runspace;

    public PowerShellSession(string? workingDirectory = null, IDictionary<string, string>? environment = null, PSHost? host = null, bool import = true)
    {
        var iss = InitialSessionState.CreateDefault2();
        _runspace = host is null ? RunspaceFactory.CreateRunspace(iss) : RunspaceFactory.CreateRunspace(host, iss);
        _runspace.Open();
        if (workingDirectory is not null) _runspace.SessionStateProxy.Path.SetLocation(workingDirectory);
        if (environment is not null)
        {
            foreach (var (k, v) in environment) Run($"$env:{k} = $args[0]", v);
        }
        if (!import) return;
        var imported = Run("Import-Module $args[0] -PassThru", ModulePath);
        if (imported.Errors.Count > 0) throw new InvalidOperationException("Import failed: " + imported.Errors[0]);
    }

    /// <summary>out/GitMirror/GitMirror.psd1 of this checkout.</summary>
    public static string ModulePath { get; } = Path.Combine(RepoRoot, "out", "GitMirror", "GitMirror.psd1");

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "GitMirror.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("GitMirror.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public Runspace Runspace => _runspace;

    /// <summary>Runs a script; arguments are passed as $args so no value is ever pasted into code.</summary>
    public RunResult Run(string script, params object?[] args)
    {
        using var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = _runspace;
        ps.AddScript(script);
        foreach (var a in args) ps.AddArgument(a);
        Collection<PSObject> output;
        try
        {
            output = ps.Invoke();
        }
        catch (RuntimeException e)
        {
            return new RunResult([], [e.ErrorRecord], [.. ps.Streams.Warning.Select(w => w.Message)], [.. ps.Streams.Verbose.Select(v => v.Message)], e);
        }
        return new RunResult(
            [.. output],
            [.. ps.Streams.Error],
            [.. ps.Streams.Warning.Select(w => w.Message)],
            [.. ps.Streams.Verbose.Select(v => v.Message)],
            null);
    }

    public void Dispose() => _runspace.Dispose();
}

public sealed record RunResult(
    IReadOnlyList<PSObject> Output,
    IReadOnlyList<ErrorRecord> Errors,
    IReadOnlyList<string> Warnings,
    IReadOnlyList<string> Verbose,
    RuntimeException? Terminating)
{
    /// <summary>All error records, the terminating one included.</summary>
    public IEnumerable<ErrorRecord> AllErrors => Terminating is null ? Errors : Errors.Append(Terminating.ErrorRecord);

    public IEnumerable<string> ErrorIds => AllErrors.Select(e => e.FullyQualifiedErrorId.Split(',')[0]);
}
