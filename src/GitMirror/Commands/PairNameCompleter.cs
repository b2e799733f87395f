using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using GitMirror.Core.Config;

namespace GitMirror.Commands;

/// <summary>
/// Tab completion of pair names for -Name, from the config the command line would read: the bound
/// -Path, else $env:GITMIRROR_CONFIG, else ./repos.yaml. A missing or bad file completes nothing:
/// completion must never throw or print.
/// </summary>
public sealed class PairNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        try
        {
            var path = fakeBoundParameters["Path"] as string;
            var config = ConfigLoader.Load(ConfigLoader.ResolvePath(path, CurrentDirectory()));
            var typed = wordToComplete.Trim('\'', '"');
            var pattern = WildcardPattern.Get(typed + "*", WildcardOptions.IgnoreCase);
            return config.Pairs
                .Where(p => pattern.IsMatch(p.Name))
                .Select(p => new CompletionResult(Quoted(p.Name), p.Name, CompletionResultType.ParameterValue, $"{p.GitHub} <-> {p.GitLab}"))
                .ToList();
        }
        catch (Exception)
        {
            return [];
        }
    }

    /// <summary>The session's file system location (PowerShell never changes the process's).</summary>
    private static string CurrentDirectory()
    {
        // Get-Location lives in a module that hosted sessions may lack; $ExecutionContext is always there.
        using var ps = PowerShell.Create(RunspaceMode.CurrentRunspace);
        var location = ps.AddScript("$ExecutionContext.SessionState.Path.CurrentFileSystemLocation.ProviderPath").Invoke<string>();
        return location.FirstOrDefault() ?? Environment.CurrentDirectory;
    }

    /// <summary>Names with spaces or PowerShell metacharacters are completed in single quotes.</summary>
    private static string Quoted(string name) =>
        name.All(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' or '/')
            ? name
            : "'" + name.Replace("'", "''") + "'";
}
