using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;
using GitMirror.Core.Config;

namespace GitMirror.Commands;

/// <summary>Completes -Name with the pair names of the config the command would read (-Path, $env:GITMIRROR_CONFIG, ./repos.yaml).</summary>
public sealed class PairNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        MirrorConfig config;
        try
        {
            var path = fakeBoundParameters["Path"] as string;
            // Completion runs on the pipeline thread: the session's location, not the process's.
            var here = Runspace.DefaultRunspace?.SessionStateProxy.Path.CurrentFileSystemLocation.ProviderPath ?? Environment.CurrentDirectory;
            config = ConfigLoader.Load(ConfigLoader.ResolvePath(path, here));
        }
        catch (Exception e) when (e is MirrorConfigException or IOException or UnauthorizedAccessException)
        {
            return []; // completion never shows errors: a bad file is reported when the command runs
        }
        var typed = wordToComplete.Trim('\'', '"');
        var pattern = WildcardPattern.Get(typed + "*", WildcardOptions.IgnoreCase);
        return config.Pairs
            .Where(p => pattern.IsMatch(p.Name))
            .Select(p => new CompletionResult(Quote(p.Name), p.Name, CompletionResultType.ParameterValue, $"{p.GitHub} <-> {p.GitLab}"))
            .ToList();
    }

    private static string Quote(string name) =>
        name.IndexOfAny([' ', '\'', '"', '$', '`', ';', '(', ')', '{', '}', '&', '|', ',']) >= 0 ? $"'{name.Replace("'", "''")}'" : name;
}
