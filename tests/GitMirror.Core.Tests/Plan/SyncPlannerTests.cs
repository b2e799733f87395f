using GitMirror.Core.Plan;
using Xunit;

namespace GitMirror.Core.Tests.Plan;

public class SyncPlannerTests
{
    private const string A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private const string B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    private const string Base = "cccccccccccccccccccccccccccccccccccccccc";

    private static MirrorPair Pair(MirrorDivergencePolicy policy = MirrorDivergencePolicy.HaltPair) => new()
    {
        Name = "p",
        GitHub = "o/r",
        GitLab = "g/r",
        GitHubUrl = "/gh/o/r.git",
        GitLabUrl = "/gl/g/r.git",
        ConfigPath = "/repos.yaml",
        CachePath = "/cache",
        OnDivergence = policy,
    };

    public static TheoryData<string, string?, string?, BranchHistory?, MirrorRefStatus, string?> Rules => new()
    {
        // ref, github, gitlab, history → status, push ("target old→new" or null)
        { "refs/heads/main", A, A, null, MirrorRefStatus.InSync, null },
        { "refs/heads/main", A, null, null, MirrorRefStatus.GitHubOnly, $"GitLab -> {A}" },
        { "refs/heads/main", null, B, null, MirrorRefStatus.GitLabOnly, $"GitHub -> {B}" },
        { "refs/heads/main", A, B, new BranchHistory(B, 3, 0), MirrorRefStatus.GitHubAhead, $"GitLab {B} -> {A}" },
        { "refs/heads/main", A, B, new BranchHistory(A, 0, 2), MirrorRefStatus.GitLabAhead, $"GitHub {A} -> {B}" },
        { "refs/heads/main", A, B, new BranchHistory(Base, 1, 1), MirrorRefStatus.Diverged, null },
        { "refs/heads/main", A, B, new BranchHistory(null, 4, 5), MirrorRefStatus.Diverged, null },
        { "refs/heads/main", A, B, null, MirrorRefStatus.Diverged, null },
        { "refs/tags/v1", A, A, null, MirrorRefStatus.InSync, null },
        { "refs/tags/v1", A, null, null, MirrorRefStatus.GitHubOnly, $"GitLab -> {A}" },
        { "refs/tags/v1", null, B, null, MirrorRefStatus.GitLabOnly, $"GitHub -> {B}" },
        // A moved tag, or annotated on one side and lightweight on the other: never fast-forwarded.
        { "refs/tags/v1", A, B, null, MirrorRefStatus.Diverged, null },
        { "refs/tags/v1", A, B, new BranchHistory(B, 1, 0), MirrorRefStatus.Diverged, null },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void Each_rule_of_the_sync_semantics(string refName, string? github, string? gitlab, BranchHistory? history, MirrorRefStatus expected, string? push)
    {
        var plan = SyncPlanner.Plan(Pair(), [new ObservedRef(refName, github, gitlab, history)]);

        var comparison = Assert.Single(plan.Comparisons);
        Assert.Equal(expected, comparison.Status);
        Assert.Equal(expected == MirrorRefStatus.Diverged, comparison.Diverged);
        Assert.Equal(push, plan.Pushes.Select(p => $"{p.Target} {(p.OldSha is null ? "" : p.OldSha + " ")}-> {p.NewSha}").SingleOrDefault());
        Assert.Equal(expected == MirrorRefStatus.Diverged, plan.Halted);
    }

    [Theory]
    [InlineData(MirrorDivergencePolicy.HaltPair, true, 0)]
    [InlineData(MirrorDivergencePolicy.SkipRef, false, 2)]
    public void A_diverged_ref_halts_the_pair_or_is_skipped(MirrorDivergencePolicy policy, bool halted, int pushes)
    {
        var plan = SyncPlanner.Plan(Pair(policy),
        [
            new ObservedRef("refs/heads/diverged", A, B, new BranchHistory(Base, 2, 1)),
            new ObservedRef("refs/heads/new", A, null),
            new ObservedRef("refs/tags/moved", A, B),
            new ObservedRef("refs/heads/behind", A, B, new BranchHistory(A, 0, 1)),
        ]);

        Assert.Equal(halted, plan.Halted);
        Assert.Equal(pushes, plan.Pushes.Count);
        Assert.Equal(["refs/heads/diverged", "refs/tags/moved"], plan.Diverged.Select(d => d.Ref));
        Assert.All(plan.Pushes, p => Assert.DoesNotContain(plan.Diverged, d => d.Ref == p.Ref));
    }

    [Fact]
    public void Diverged_branches_carry_merge_base_and_ahead_counts_but_tags_do_not()
    {
        var plan = SyncPlanner.Plan(Pair(),
        [
            new ObservedRef("refs/heads/main", A, B, new BranchHistory(Base, 2, 5)),
            new ObservedRef("refs/tags/v1", A, B),
        ]);

        var branch = plan.Comparisons.Single(c => c.Ref == "refs/heads/main");
        Assert.Equal((Base, 2, 5), (branch.MergeBase, branch.GitHubAheadBy, branch.GitLabAheadBy));
        var tag = plan.Comparisons.Single(c => c.Ref == "refs/tags/v1");
        Assert.Equal((null, null, null), (tag.MergeBase, tag.GitHubAheadBy, tag.GitLabAheadBy));
        Assert.Equal(("main", MirrorRefKind.Branch), (branch.Name, branch.Kind));
        Assert.Equal(("v1", MirrorRefKind.Tag), (tag.Name, tag.Kind));
    }

    [Theory]
    [InlineData("HEAD")]
    [InlineData("refs/heads/HEAD")]
    [InlineData("refs/pull/1/head")]
    [InlineData("refs/merge-requests/1/head")]
    [InlineData("refs/keep-around/abc")]
    [InlineData("refs/environments/prod")]
    [InlineData("refs/remotes/origin/main")]
    [InlineData("refs/notes/commits")]
    [InlineData("refs/tags/v1^{}")]
    public void Refs_outside_heads_and_tags_are_never_planned(string refName)
    {
        var plan = SyncPlanner.Plan(Pair(), [new ObservedRef(refName, A, null), new ObservedRef("refs/heads/main", A, A)]);

        Assert.Equal(["refs/heads/main"], plan.Comparisons.Select(c => c.Ref));
        Assert.Empty(plan.Pushes);
    }

    [Fact]
    public void Comparisons_are_sorted_and_everything_in_sync_plans_nothing()
    {
        var plan = SyncPlanner.Plan(Pair(), [new ObservedRef("refs/tags/b", A, A), new ObservedRef("refs/heads/z", B, B), new ObservedRef("refs/heads/a", A, A)]);

        Assert.Equal(["refs/heads/a", "refs/heads/z", "refs/tags/b"], plan.Comparisons.Select(c => c.Ref));
        Assert.Empty(plan.Pushes);
        Assert.False(plan.Halted);
    }
}
