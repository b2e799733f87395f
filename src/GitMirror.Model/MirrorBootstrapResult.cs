namespace GitMirror;

/// <summary>One step of bootstrapping a pair.</summary>
public sealed class MirrorBootstrapStep
{
    public MirrorBootstrapStepKind Step { get; init; }

    public MirrorBootstrapSide Side { get; init; }

    public MirrorBootstrapAction Action { get; init; }

    public string? Detail { get; init; }

    public override string ToString() => $"{Step} {Side} {Action}";
}

/// <summary>The outcome of bootstrapping one pair.</summary>
public sealed class MirrorBootstrapResult
{
    public required MirrorPair Pair { get; init; }

    public string PairName => Pair.Name;

    public MirrorBootstrapStep[] Steps { get; init; } = [];

    public bool Succeeded => Steps.All(s => s.Action != MirrorBootstrapAction.Failed);

    public override string ToString() => $"{PairName} {(Succeeded ? "bootstrapped" : "failed")}";
}
