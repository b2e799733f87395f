using GitMirror.Core.Plan;
using Xunit;

namespace GitMirror.Core.Tests.Plan;

/// <summary>The planner under ref rules: which refs are compared at all, and which way pushes go.</summary>
public class RefRulePlannerTests
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

    private static MirrorRefRules Rules(MirrorDirection? direction, string match = "**", MirrorRefKind? kind = null) =>
        new([new MirrorRefRule { Match = match, Kind = kind, Direction = direction }]);

    private static string? PushOf(SyncPlan plan) =>
        plan.Pushes.Select(p => $"{p.Target} {(p.OldSha is null ? "" : p.OldSha + " ")}-> {p.NewSha}").SingleOrDefault();

    // ref situations: github, gitlab, history
    private static readonly Dictionary<string, (string? GitHub, string? GitLab, BranchHistory? History)> Situations = new()
    {
        ["in sync"] = (A, A, null),
        ["github only"] = (A, null, null),
        ["gitlab only"] = (null, B, null),
        ["github ahead"] = (A, B, new BranchHistory(B, 3, 0)),
        ["gitlab ahead"] = (A, B, new BranchHistory(A, 0, 2)),
        ["both moved"] = (A, B, new BranchHistory(Base, 1, 1)),
        ["unrelated"] = (A, B, new BranchHistory(null, 4, 5)),
    };

    public static TheoryData<MirrorDirection, string, MirrorRefStatus, string?, bool> DirectionTable => new()
    {
        // direction, situation → status, push ("target old -> new" or null), a warning (target ahead, held back)
        { MirrorDirection.Both, "in sync", MirrorRefStatus.InSync, null, false },
        { MirrorDirection.Both, "github only", MirrorRefStatus.GitHubOnly, $"GitLab -> {A}", false },
        { MirrorDirection.Both, "gitlab only", MirrorRefStatus.GitLabOnly, $"GitHub -> {B}", false },
        { MirrorDirection.Both, "github ahead", MirrorRefStatus.GitHubAhead, $"GitLab {B} -> {A}", false },
        { MirrorDirection.Both, "gitlab ahead", MirrorRefStatus.GitLabAhead, $"GitHub {A} -> {B}", false },
        { MirrorDirection.Both, "both moved", MirrorRefStatus.Diverged, null, false },
        { MirrorDirection.Both, "unrelated", MirrorRefStatus.Diverged, null, false },

        { MirrorDirection.GitHubToGitLab, "in sync", MirrorRefStatus.InSync, null, false },
        { MirrorDirection.GitHubToGitLab, "github only", MirrorRefStatus.GitHubOnly, $"GitLab -> {A}", false },
        { MirrorDirection.GitHubToGitLab, "gitlab only", MirrorRefStatus.GitLabOnly, null, false },
        { MirrorDirection.GitHubToGitLab, "github ahead", MirrorRefStatus.GitHubAhead, $"GitLab {B} -> {A}", false },
        { MirrorDirection.GitHubToGitLab, "gitlab ahead", MirrorRefStatus.GitLabAhead, null, true },
        { MirrorDirection.GitHubToGitLab, "both moved", MirrorRefStatus.Diverged, null, false },
        { MirrorDirection.GitHubToGitLab, "unrelated", MirrorRefStatus.Diverged, null, false },

        { MirrorDirection.GitLabToGitHub, "in sync", MirrorRefStatus.InSync, null, false },
        { MirrorDirection.GitLabToGitHub, "github only", MirrorRefStatus.GitHubOnly, null, false },
        { MirrorDirection.GitLabToGitHub, "gitlab only", MirrorRefStatus.GitLabOnly, $"GitHub -> {B}", false },
        { MirrorDirection.GitLabToGitHub, "github ahead", MirrorRefStatus.GitHubAhead, null, true },
        { MirrorDirection.GitLabToGitHub, "gitlab ahead", MirrorRefStatus.GitLabAhead, $"GitHub {A} -> {B}", false },
        { MirrorDirection.GitLabToGitHub, "both moved", MirrorRefStatus.Diverged, null, false },
        { MirrorDirection.GitLabToGitHub, "unrelated", MirrorRefStatus.Diverged, null, false },
    };

    [Theory]
    [MemberData(nameof(DirectionTable))]
    public void Every_direction_and_status_of_a_branch(MirrorDirection direction, string situation, MirrorRefStatus status, string? push, bool warned)
    {
        var (github, gitlab, history) = Situations[situation];

        var plan = SyncPlanner.Plan(Pair(), [new ObservedRef("refs/heads/release/1", github, gitlab, history)], Rules(direction));

        var comparison = Assert.Single(plan.Comparisons);
        Assert.Equal((status, direction), (comparison.Status, comparison.Direction));
        Assert.Equal(push, PushOf(plan));
        Assert.Equal(warned, plan.TargetAhead.Contains(comparison));
        // Both moved is Diverged whatever the direction, and the pair's policy (halt-pair here) applies.
        Assert.Equal(status == MirrorRefStatus.Diverged, plan.Halted);
    }

    [Theory]
    [InlineData(MirrorDirection.GitHubToGitLab, "github only", MirrorRefStatus.GitHubOnly, "GitLab")]
    [InlineData(MirrorDirection.GitHubToGitLab, "gitlab only", MirrorRefStatus.GitLabOnly, null)]
    [InlineData(MirrorDirection.GitLabToGitHub, "github only", MirrorRefStatus.GitHubOnly, null)]
    [InlineData(MirrorDirection.GitLabToGitHub, "gitlab only", MirrorRefStatus.GitLabOnly, "GitHub")]
    [InlineData(MirrorDirection.GitLabToGitHub, "in sync", MirrorRefStatus.InSync, null)]
    public void Tags_go_one_way_and_a_moved_tag_is_diverged_whatever_the_direction(MirrorDirection direction, string situation, MirrorRefStatus status, string? target)
    {
        var (github, gitlab, _) = Situations[situation];

        var plan = SyncPlanner.Plan(Pair(), [new ObservedRef("refs/tags/v1", github, gitlab)], Rules(direction, "v*", MirrorRefKind.Tag));
        Assert.Equal(status, Assert.Single(plan.Comparisons).Status);
        Assert.Equal(target, plan.Pushes.SingleOrDefault()?.Target.ToString());

        var moved = SyncPlanner.Plan(Pair(), [new ObservedRef("refs/tags/v1", A, B)], Rules(direction, "v*", MirrorRefKind.Tag));
        Assert.Equal(MirrorRefStatus.Diverged, Assert.Single(moved.Comparisons).Status);
        Assert.True(moved.Halted);
        Assert.Empty(moved.Pushes);
    }

    [Fact]
    public void Refs_left_out_are_not_compared_not_pushed_and_do_not_halt_the_pair()
    {
        var rules = new MirrorRefRules(
        [
            new MirrorRefRule { Match = "dependabot/**", Direction = null },
            new MirrorRefRule { Match = "main", Kind = MirrorRefKind.Branch, Direction = MirrorDirection.Both },
        ]);

        var plan = SyncPlanner.Plan(Pair(),
        [
            new ObservedRef("refs/heads/main", A, null),
            new ObservedRef("refs/heads/dependabot/npm/x", A, null),                          // none
            new ObservedRef("refs/heads/dependabot/diverged", A, B, new BranchHistory(Base, 1, 1)), // none, even diverged
            new ObservedRef("refs/heads/feature", null, B),                                    // no rule matches
            new ObservedRef("refs/tags/main", A, null),                                       // kind: branch only
        ], rules);

        Assert.Equal(["refs/heads/main"], plan.Comparisons.Select(c => c.Ref));
        Assert.Equal(["refs/heads/dependabot/diverged", "refs/heads/dependabot/npm/x", "refs/heads/feature", "refs/tags/main"], plan.LeftOut);
        Assert.Equal($"GitLab -> {A}", PushOf(plan));
        Assert.False(plan.Halted);
        Assert.Empty(plan.Diverged);
    }

    [Fact]
    public void Without_rules_everything_goes_both_ways_as_before()
    {
        var plan = SyncPlanner.Plan(Pair(), [new ObservedRef("refs/heads/x", null, B), new ObservedRef("refs/tags/t", A, null)]);

        Assert.All(plan.Comparisons, c => Assert.Equal(MirrorDirection.Both, c.Direction));
        Assert.Equal(2, plan.Pushes.Count);
    }

    [Theory]
    [InlineData(MirrorDivergencePolicy.HaltPair, true, 0)]
    [InlineData(MirrorDivergencePolicy.SkipRef, false, 1)]
    public void Both_moved_under_a_one_way_rule_applies_the_pairs_policy(MirrorDivergencePolicy policy, bool halted, int pushes)
    {
        var plan = SyncPlanner.Plan(Pair(policy),
        [
            new ObservedRef("refs/heads/release/1", A, B, new BranchHistory(Base, 1, 2)),
            new ObservedRef("refs/heads/release/2", A, null),
        ], Rules(MirrorDirection.GitHubToGitLab, "release/**", MirrorRefKind.Branch));

        Assert.Equal(halted, plan.Halted);
        Assert.Equal(pushes, plan.Pushes.Count);
        var diverged = Assert.Single(plan.Diverged);
        Assert.Equal(("refs/heads/release/1", 1, 2), (diverged.Ref, diverged.GitHubAheadBy, diverged.GitLabAheadBy));
    }

    public static TheoryData<string, string[], string> ConflictsUnderRules => new()
    {
        // refs as "name:sides:direction" (H/L/B as in SyncPlannerTests; direction both|gh|gl|none) → conflicting refs, "" for none
        // A one-way push that would hit a ref in its way is still a conflict, on both refs.
        { "x pushed to GitLab hits x/y there", ["refs/heads/x:H:gh", "refs/heads/x/y:L:gh"], "refs/heads/x<refs/heads/x/y refs/heads/x/y<refs/heads/x" },
        { "x/y pushed to GitHub hits x there", ["refs/heads/x:H:gl", "refs/heads/x/y:L:gl"], "refs/heads/x<refs/heads/x/y refs/heads/x/y<refs/heads/x" },
        // A ref left out still stands in the way of a ref that is pushed.
        { "x/y left out on GitLab blocks x", ["refs/heads/x:H:both", "refs/heads/x/y:L:none"], "refs/heads/x<refs/heads/x/y" },
        { "case: Foo left out on GitLab blocks foo", ["refs/heads/foo:H:gh", "refs/heads/Foo:L:none"], "refs/heads/foo<refs/heads/Foo" },
        // Neither is pushed: each stays where it is, nothing can collide.
        { "both are target-only refs", ["refs/heads/x:L:gh", "refs/heads/x/y:H:gl"], "" },
        { "x stays on GitLab, x/y left out on GitHub", ["refs/heads/x:L:gh", "refs/heads/x/y:H:none"], "" },
    };

    [Theory]
    [MemberData(nameof(ConflictsUnderRules))]
    public void Conflicts_under_one_way_rules_keep_their_safety(string why, string[] refs, string expected)
    {
        var parsed = refs.Select(r => r.Split(':')).ToList();
        var observed = parsed.Select(r => new ObservedRef(r[0], r[1] is "H" or "B" ? A : null, r[1] is "L" or "B" ? B : null)).ToList();
        var rules = new MirrorRefRules(parsed.Select(r => new MirrorRefRule
        {
            Match = MirrorRefNames.ShortName(r[0]),
            Direction = r[2] switch { "both" => MirrorDirection.Both, "gh" => MirrorDirection.GitHubToGitLab, "gl" => MirrorDirection.GitLabToGitHub, _ => null },
        }));

        var plan = SyncPlanner.Plan(Pair(), observed, rules);

        var found = string.Join(' ', plan.Comparisons.Where(c => c.Status == MirrorRefStatus.Conflict).Select(c => $"{c.Ref}<{string.Join(',', c.ConflictsWith)}"));
        Assert.True(expected == found, $"{why}: expected '{expected}', planned '{found}'");
        Assert.Equal(expected.Length > 0, plan.Halted);
        Assert.DoesNotContain(plan.Comparisons, c => rules.DirectionOf(c.Ref) is null);
        if (expected.Length == 0) Assert.Empty(plan.Pushes);
    }
}
