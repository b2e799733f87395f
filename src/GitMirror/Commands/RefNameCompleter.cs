using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using GitMirror.Core.Config;
using GitMirror.Core.Observe;

namespace GitMirror.Commands;

/// <summary>
/// Tab completion of branch and tag names for -Ref, for the pairs the command line names (-Name,
/// else every pair of the config): from the cache when it has synced them, else a listing of both
/// sides that gives up after a few seconds. Short names (main, v1.0) unless a full name is typed.
/// </summary>
public sealed class RefNameCompleter : IArgumentCompleter
{
    private static readonly TimeSpan ListingTimeout = TimeSpan.FromSeconds(3);

    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        try
        {
            var config = ConfigLoader.Load(PairNameCompleter.ResolvePath(ConfigLoader.ChoosePath(fakeBoundParameters["Path"] as string)));
            var names = fakeBoundParameters["Name"] switch
            {
                string one => [one],
                string[] many => many,
                object[] many => many.Select(n => n?.ToString() ?? "").ToArray(),
                _ => [],
            };
            var pairs = names.Length == 0 ? config.Pairs
                : config.Pairs.Where(p => names.Any(n => WildcardPattern.Get(n, WildcardOptions.IgnoreCase).IsMatch(p.Name))).ToList();

            var typed = wordToComplete.Trim('\'', '"', '\u2018', '\u2019', '\u201A', '\u201B', '\u201C', '\u201D', '\u201E');
            var full = typed.StartsWith("refs/", StringComparison.Ordinal);
            var pattern = WildcardPattern.Get(typed + "*", WildcardOptions.IgnoreCase);
            var refs = pairs
                .SelectMany(p => KnownRefs.OfAsync(p, ListingTimeout, CancellationToken.None).GetAwaiter().GetResult())
                .Distinct(StringComparer.Ordinal)
                .Select(r => (Full: r, Text: full ? r : MirrorRefNames.ShortName(r)))
                .Where(r => pattern.IsMatch(r.Text))
                .DistinctBy(r => r.Text)
                .OrderBy(r => r.Text, StringComparer.Ordinal);
            return refs.Select(r => new CompletionResult(PairNameCompleter.Quoted(r.Text), r.Text, CompletionResultType.ParameterValue, r.Full)).ToList();
        }
        catch (Exception)
        {
            return [];
        }
    }
}
