using GitMirror.Core.Plan;

namespace GitMirror.Core.Observe;

/// <summary>Both sides' refs of a pair, with every object they name present in the cache.</summary>
public sealed class PairObservation
{
    public required MirrorPair Pair { get; init; }

    public required IReadOnlyList<ObservedRef> Refs { get; init; }
}
