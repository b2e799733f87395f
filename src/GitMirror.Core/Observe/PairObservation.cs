using GitMirror.Core.Plan;

namespace GitMirror.Core.Observe;

/// <summary>
/// Both sides' refs of a pair, with every object they name present in the cache, except the refs
/// the pair's ref rules leave out (listed by name and value only, never fetched).
/// </summary>
public sealed class PairObservation
{
    public required MirrorPair Pair { get; init; }

    public required IReadOnlyList<ObservedRef> Refs { get; init; }
}
