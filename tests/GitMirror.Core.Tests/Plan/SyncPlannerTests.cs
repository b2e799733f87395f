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

    public static TheoryData<string, string[], string> Conflicts => new()
    {
        // refs as "name:sides" (H = GitHub only, L = GitLab only, B = both) → conflicting refs ("a<b" = a conflicts with b), or "" for none
        { "x vs x/y", ["refs/heads/x:H", "refs/heads/x/y:L"], "refs/heads/x<refs/heads/x/y refs/heads/x/y<refs/heads/x" },
        { "x/y vs x, reversed sides", ["refs/heads/x:L", "refs/heads/x/y:H"], "refs/heads/x<refs/heads/x/y refs/heads/x/y<refs/heads/x" },
        { "deep folder", ["refs/heads/a:H", "refs/heads/a/b/c:L"], "refs/heads/a<refs/heads/a/b/c refs/heads/a/b/c<refs/heads/a" },
        { "one name against two below it", ["refs/heads/x:H", "refs/heads/x/y:L", "refs/heads/x/z:L"],
            "refs/heads/x<refs/heads/x/y,refs/heads/x/z refs/heads/x/y<refs/heads/x refs/heads/x/z<refs/heads/x" },
        { "tags too", ["refs/tags/v1:H", "refs/tags/v1/rc:L"], "refs/tags/v1<refs/tags/v1/rc refs/tags/v1/rc<refs/tags/v1" },
        { "case only", ["refs/heads/Foo:H", "refs/heads/foo:L"], "refs/heads/Foo<refs/heads/foo refs/heads/foo<refs/heads/Foo" },
        { "case and folder", ["refs/heads/X:H", "refs/heads/x/y:L"], "refs/heads/X<refs/heads/x/y refs/heads/x/y<refs/heads/X" },
        // Not conflicts:
        { "same side holds both", ["refs/heads/x:H", "refs/heads/x/y:H"], "" },
        { "a side holding both cases shows they coexist", ["refs/heads/Foo:H", "refs/heads/foo:B"], "" },
        { "prefix without a slash", ["refs/heads/x:H", "refs/heads/xy:L"], "" },
        { "branch and tag of one name", ["refs/heads/x:H", "refs/tags/x/y:L"], "" },
        { "siblings", ["refs/heads/x/a:H", "refs/heads/x/b:L"], "" },
        { "in sync", ["refs/heads/x:B", "refs/heads/x/y:B"], "" },
    };

    [Theory]
    [MemberData(nameof(Conflicts))]
    public void Refs_that_cannot_coexist_across_the_sides_are_conflicts(string why, string[] refs, string expected)
    {
        var observed = refs.Select(r => r.Split(':')).Select(r => new ObservedRef(r[0],
            r[1] is "H" or "B" ? A : null, r[1] is "L" or "B" ? A : null)).ToList();

        var plan = SyncPlanner.Plan(Pair(), observed);

        var found = string.Join(' ', plan.Comparisons.Where(c => c.ConflictsWith.Length > 0).Select(c => $"{c.Ref}<{string.Join(',', c.ConflictsWith)}"));
        Assert.True(expected == found, $"{why}: expected '{expected}', planned '{found}'");
        foreach (var comparison in plan.Comparisons)
        {
            var conflict = comparison.ConflictsWith.Length > 0;
            Assert.Equal(conflict, comparison.Status == MirrorRefStatus.Conflict);
            if (conflict) Assert.True(comparison.Diverged, why);
            // A conflicting ref is never pushed; the others are planned as usual.
            Assert.Equal(!conflict && comparison.Status is MirrorRefStatus.GitHubOnly or MirrorRefStatus.GitLabOnly,
                plan.Pushes.Any(p => p.Ref == comparison.Ref));
        }
    }

    [Theory]
    [InlineData(MirrorDivergencePolicy.HaltPair, true, 0)]
    [InlineData(MirrorDivergencePolicy.SkipRef, false, 1)]
    public void A_conflict_halts_the_pair_or_is_skipped_like_a_divergence(MirrorDivergencePolicy policy, bool halted, int pushes)
    {
        var plan = SyncPlanner.Plan(Pair(policy),
        [
            new ObservedRef("refs/heads/x", A, null),
            new ObservedRef("refs/heads/x/y", null, B),
            new ObservedRef("refs/heads/main", A, null),
        ]);

        Assert.Equal(halted, plan.Halted);
        Assert.Equal(pushes, plan.Pushes.Count);
        Assert.Equal(["refs/heads/x", "refs/heads/x/y"], plan.Diverged.Select(d => d.Ref));
        Assert.All(plan.Diverged, d => Assert.Equal(MirrorRefStatus.Conflict, d.Status));
    }

    [Fact]
    public void Finding_conflicts_in_a_first_sync_of_many_refs_is_linear()
    {
        // 20,000 refs on one side and 20,000 on the other, with one conflict: a quadratic search would take minutes.
        var observed = Enumerable.Range(0, 20_000).Select(i => new ObservedRef($"refs/heads/gh/{i}", A, null))
            .Concat(Enumerable.Range(0, 20_000).Select(i => new ObservedRef($"refs/heads/gl/{i}", null, B)))
            .Append(new ObservedRef("refs/heads/gh", null, B))
            .ToList();

        var conflicts = RefConflicts.Find(observed);

        Assert.Equal(20_001, conflicts.Count);
        Assert.Equal(20_000, conflicts["refs/heads/gh"].Length);
    }
}
