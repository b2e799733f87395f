using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using GitMirror.Core.Config;

namespace GitMirror.Commands;

/// <summary>
/// Tab completion of pair names for -Name (organisations' pairs from their cached listings), from the config the command line would read: the bound
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
            var config = ConfigLoader.Load(ResolvePath(ConfigLoader.ChoosePath(path)));
            if (config.Organizations.Count > 0)
            {
                // From the cached listings only: a key press must never wait for a forge.
                var expander = new Core.Organizations.OrganizationExpander(Core.NullMirrorLog.Instance, new() { CacheOnly = true });
                config = expander.ExpandAsync(config, CancellationToken.None).GetAwaiter().GetResult().Config;
            }
            var typed = wordToComplete.Trim('\'', '"', '\u2018', '\u2019', '\u201A', '\u201B', '\u201C', '\u201D', '\u201E');
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

    /// <summary>The path as the command will resolve it: through the session's providers and location.</summary>
    internal static string ResolvePath(string path)
    {
        using var ps = PowerShell.Create(RunspaceMode.CurrentRunspace);
        var resolved = ps.AddScript("$ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($args[0])").AddArgument(path).Invoke<string>();
        return resolved.FirstOrDefault() ?? path;
    }

    /// <summary>
    /// The text a completion inserts: plain names (letters first, then letters, digits, - _ . /)
    /// as they are, anything else through the one quoting that escapes every quote character
    /// PowerShell honours. A name starting with a digit or a dash is quoted too: unquoted it would
    /// be read as a number (1.10 → 1.1) or a parameter.
    /// </summary>
    internal static string Quoted(string name) =>
        name.Length > 0 && char.IsAsciiLetter(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/')
            ? name
            : Core.Report.PowerShellQuoting.SingleQuoted(name);
}
