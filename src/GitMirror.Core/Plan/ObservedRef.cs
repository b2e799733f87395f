namespace GitMirror.Core.Plan;

/// <summary>
/// How two different commits of one branch relate, as Observe found them in the cache:
/// the commits each side has beyond their merge base.
/// </summary>
public sealed record BranchHistory(string? MergeBase, int GitHubAheadBy, int GitLabAheadBy);

/// <summary>One branch or tag as both sides hold it. A null sha: the side lacks the ref.</summary>
/// <param name="History">For a branch whose sides differ and both point at commits; null otherwise.</param>
public sealed record ObservedRef(string Ref, string? GitHubSha, string? GitLabSha, BranchHistory? History = null);
