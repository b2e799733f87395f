using Xunit;

namespace GitMirror.Core.Tests.Plan;

public class MirrorRefGlobTests
{
    [Theory]
    [InlineData("main", "main", true)]
    [InlineData("main", "Main", false)]
    [InlineData("main", "main2", false)]
    [InlineData("main", "xmain", false)]
    [InlineData("*", "main", true)]
    [InlineData("*", "release/1.2", false)]
    [InlineData("**", "release/1.2", true)]
    [InlineData("**", "a/b/c/d", true)]
    [InlineData("release/*", "release/1.2", true)]
    [InlineData("release/*", "release/1.2/hotfix", false)]
    [InlineData("release/**", "release/1.2/hotfix", true)]
    [InlineData("release/**", "release", false)]
    [InlineData("release/**", "releases/1", false)]
    [InlineData("release-*", "release-1", true)]
    [InlineData("release-*", "release-", true)]
    [InlineData("*/*", "a/b", true)]
    [InlineData("*/*", "a/b/c", false)]
    [InlineData("**/hotfix", "release/1/hotfix", true)]
    [InlineData("**/hotfix", "hotfix", false)]
    [InlineData("v*.*", "v1.2", true)]
    [InlineData("v*.*", "v12", false)]
    [InlineData("v1.0", "v1x0", false)] // a dot is a dot, not a regex wildcard
    [InlineData("a*b*c", "aXbYc", true)]
    [InlineData("a*b*c", "aXb/c", false)]
    [InlineData("a**c", "aX/Yc", true)]
    [InlineData("dependabot/**", "dependabot/npm_and_yarn/lodash-4.17.21", true)]
    [InlineData("$(x)", "$(x)", true)]
    [InlineData("*", "", true)]
    public void Star_stays_in_a_folder_and_double_star_crosses_folders(string glob, string name, bool expected)
    {
        Assert.Null(MirrorRefGlob.Problem(glob));
        Assert.Equal(expected, MirrorRefGlob.IsMatch(glob, name));
    }

    [Fact]
    public void Many_stars_against_a_long_name_do_not_backtrack()
    {
        var glob = string.Concat(Enumerable.Repeat("*a", 40)) + "*b";
        var name = new string('a', 4000);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.False(MirrorRefGlob.IsMatch(glob, name));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed}");
    }

    [Theory]
    [InlineData("", "must not be empty")]
    [InlineData("  ", "must not be empty")]
    [InlineData("a?", "holds '?'")]
    [InlineData("a[bc]", "holds '['")]
    [InlineData("a\\b", "holds '\\'")]
    [InlineData("a:b", "holds ':'")]
    [InlineData("a\tb", "holds '\\u0009'")]
    [InlineData("***", "three stars")]
    [InlineData("/main", "empty folder name")]
    [InlineData("a//b", "empty folder name")]
    [InlineData("a..b", "'..'")]
    [InlineData("refs/tags/v*", "starts with refs/")]
    public void Globs_that_no_ref_name_could_match_are_refused(string glob, string problem)
    {
        Assert.Contains(problem, MirrorRefGlob.Problem(glob));
    }

    public static TheoryData<string, string?> FirstMatchWins => new()
    {
        // ref → direction name by the rules below ("none" when not mirrored)
        { "refs/heads/main", "both" },
        { "refs/heads/release/1.2", "github-to-gitlab" },
        { "refs/tags/release/1.2", "gitlab-to-github" }, // kind: branch does not match a tag
        { "refs/heads/dependabot/npm/x", "none" },
        { "refs/tags/v1.0", "gitlab-to-github" },
        { "refs/heads/v1.0", "none" }, // the tag rule does not match a branch; no later rule does
        { "refs/heads/feature", "none" },
        { "refs/tags/main", "both" }, // 'main' with kind any
    };

    [Theory]
    [MemberData(nameof(FirstMatchWins))]
    public void The_first_matching_rule_wins_and_no_match_means_not_mirrored(string refName, string? direction)
    {
        var rules = new MirrorRefRules(
        [
            new MirrorRefRule { Match = "main", Direction = MirrorDirection.Both },
            new MirrorRefRule { Match = "release/**", Kind = MirrorRefKind.Branch, Direction = MirrorDirection.GitHubToGitLab },
            new MirrorRefRule { Match = "dependabot/**", Direction = null },
            new MirrorRefRule { Match = "*", Kind = MirrorRefKind.Tag, Direction = MirrorDirection.GitLabToGitHub },
            new MirrorRefRule { Match = "**", Kind = MirrorRefKind.Tag, Direction = MirrorDirection.GitLabToGitHub },
            new MirrorRefRule { Match = "**", Kind = MirrorRefKind.Branch, Direction = null },
            new MirrorRefRule { Match = "**", Direction = MirrorDirection.Both }, // never reached by a branch
        ]);

        Assert.Equal(direction, MirrorRefRules.DirectionName(rules.DirectionOf(refName)));
        Assert.Equal(direction != "none", rules.Includes(refName));
    }
}
