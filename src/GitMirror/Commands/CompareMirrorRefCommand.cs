using System.Management.Automation;
using GitMirror.Core.Engine;

namespace GitMirror.Commands;

/// <summary>
/// Compares every branch and tag of the selected pairs (default: all) between GitHub and GitLab.
/// Changes nothing on either side; it may fetch into the local cache.
/// </summary>
[Cmdlet(VerbsData.Compare, "MirrorRef", DefaultParameterSetName = NameSet, HelpUri = HelpUris.Docs + "Compare-MirrorRef.md")]
[OutputType(typeof(MirrorRefComparison))]
public sealed class CompareMirrorRefCommand : MirrorPairCommandBase
{
    /// <summary>Pair names to compare; wildcards allowed. Default: every pair.</summary>
    [Parameter(Position = 0, ParameterSetName = NameSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(PairNameCompleter))]
    public string[]? Name { get; set; }

    /// <summary>Only refs whose short (main, v1.0) or full (refs/heads/main) name matches; wildcards allowed.</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(RefNameCompleter))]
    public string[]? Ref { get; set; }

    protected override void EndProcessing()
    {
        var pairs = ResolvePairs(Name);
        var engine = new MirrorEngine(Log);
        var patterns = Ref?.Select(r => WildcardPattern.Get(r, WildcardOptions.IgnoreCase)).ToArray();
        var matched = new bool[patterns?.Length ?? 0]; // set on the pipeline thread only
        var compared = 0;

        ForEachPair(pairs, "Comparing mirror pairs", async (pair, token) =>
        {
            if (pair.MissingOn is { } missing)
            {
                // Only one side to compare: the organisation's repository has no twin yet.
                var why = $"[{pair.Name}] {Core.Organizations.OrganizationPairs.NoTwinReason(pair, missing)}";
                return () => WriteWarning(why);
            }
            try
            {
                var plan = await engine.CompareAsync(pair, token).ConfigureAwait(false);
                var selected = plan.Comparisons
                    .Where(c => patterns is null || patterns.Any(p => p.IsMatch(c.Ref) || p.IsMatch(c.Name)))
                    .ToList();
                return () =>
                {
                    compared++;
                    for (var i = 0; i < matched.Length; i++)
                    {
                        matched[i] |= selected.Any(c => patterns![i].IsMatch(c.Ref) || patterns[i].IsMatch(c.Name));
                    }
                    WriteObject(selected, enumerateCollection: true);
                };
            }
            catch (Exception e) when (!token.IsCancellationRequested)
            {
                return () => WriteError(MirrorErrors.PairUnavailable(e, pair));
            }
        });

        // A -Ref that matches nothing in any pair that could be compared is a typo, not "in sync".
        if (compared == 0) return;
        for (var i = 0; i < matched.Length; i++)
        {
            if (matched[i]) continue;
            var message = $"No branch or tag of {(pairs.Count == 1 ? $"pair '{pairs[0].Name}'" : $"the {compared} pairs compared")} matches -Ref '{Ref![i]}'.";
            WriteError(new ErrorRecord(new ItemNotFoundException(message), "MirrorRefNotFound", ErrorCategory.ObjectNotFound, Ref[i])
            {
                ErrorDetails = new ErrorDetails(message) { RecommendedAction = "Give a short (main, v1.0) or full (refs/heads/main) name; Compare-MirrorRef without -Ref lists every mirrored ref." },
            });
        }
    }
}
