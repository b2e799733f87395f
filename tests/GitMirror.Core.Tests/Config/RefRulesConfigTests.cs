using GitMirror.Core.Config;
using Xunit;

namespace GitMirror.Core.Tests.Config;

public class RefRulesConfigTests
{
    private const string File = "/cfg/repos.yaml";
    private const string TwoPairs = "repos:\n  - github: a/one\n    gitlab: g/one\n  - github: a/two\n    gitlab: g/two\n";

    [Fact]
    public void Without_refs_every_pair_mirrors_everything_both_ways()
    {
        var config = ConfigLoader.Parse(TwoPairs, File);

        Assert.True(config.RefRules.IsEverything);
        Assert.All(config.Pairs, p => Assert.Same(MirrorRefRules.Everything, p.RefRules));
        Assert.Equal(MirrorDirection.Both, config.Pairs[0].RefRules.DirectionOf("refs/heads/anything/at/all"));
        Assert.Equal(MirrorDirection.Both, config.Pairs[0].RefRules.DirectionOf("refs/tags/v1"));
    }

    [Fact]
    public void Top_level_rules_are_every_pairs_default_and_a_pairs_own_rules_replace_them()
    {
        var yaml = """
            refs:
              - match: main
                kind: branch
                direction: both
              - match: 'release/**'
                kind: branch
                direction: github-to-gitlab
              - match: 'dependabot/**'
                direction: none
              - match: 'v*'
                kind: tag
                direction: gitlab-to-github
              - match: '**'
            repos:
              - github: a/one
                gitlab: g/one
              - github: a/two
                gitlab: g/two
                refs:
                  - match: 'gl-only/*'
                    kind: any
                    direction: gitlab-to-github
            """;

        var config = ConfigLoader.Parse(yaml, File);

        var top = config.RefRules;
        Assert.Equal(["main", "release/**", "dependabot/**", "v*", "**"], top.Select(r => r.Match));
        Assert.Equal([MirrorRefKind.Branch, MirrorRefKind.Branch, null, MirrorRefKind.Tag, null], top.Select(r => r.Kind));
        Assert.Equal([MirrorDirection.Both, MirrorDirection.GitHubToGitLab, null, MirrorDirection.GitLabToGitHub, MirrorDirection.Both],
            top.Select(r => r.Direction));
        Assert.Equal([2, 5, 8, 10, 13], top.Select(r => r.Line));
        Assert.Same(top, config.Pairs[0].RefRules);

        // Replaced, not merged: the pair's one rule is all it has, so main is not mirrored there.
        var own = config.Pairs[1].RefRules;
        Assert.Equal("gl-only/* (any, gitlab-to-github)", Assert.Single(own).ToString());
        Assert.Null(own.DirectionOf("refs/heads/main"));
        Assert.Equal(MirrorDirection.GitLabToGitHub, own.DirectionOf("refs/tags/gl-only/x"));
        Assert.False(own.IsEverything);
    }

    [Theory]
    [InlineData("refs:\n  - match: main\n    direction: sideways\n", 3, 16, "refs[0].direction", "'sideways' is not a direction")]
    [InlineData("refs:\n  - match: main\n    kind: commit\n", 3, 11, "refs[0].kind", "'commit' is not a kind")]
    [InlineData("refs:\n  - match: ''\n", 2, 12, "refs[0].match", "must not be empty")]
    [InlineData("refs:\n  - match:\n", 2, 11, "refs[0].match", "must not be empty")]
    [InlineData("refs:\n  - kind: tag\n", 2, 5, "refs[0].match", "missing")]
    [InlineData("refs:\n  - match: main\n  - match: 'feature/[a-z]*'\n", 3, 12, "refs[1].match", "holds '['")]
    [InlineData("refs:\n  - match: 'a***'\n", 2, 12, "refs[0].match", "three stars")]
    [InlineData("refs:\n  - match: 'release/'\n", 2, 12, "refs[0].match", "empty folder name")]
    [InlineData("refs:\n  - match: refs/heads/main\n", 2, 12, "refs[0].match", "starts with refs/")]
    [InlineData("refs:\n  - match: 'a b'\n", 2, 12, "refs[0].match", "which no ref name can hold")]
    [InlineData("refs:\n  - match: main\n    directon: both\n", 3, 5, "refs[0].directon", "unknown key")]
    [InlineData("refs:\n  - match: main\n    Kind: tag\n", 3, 5, "refs[0].Kind", "did you mean 'kind'")]
    [InlineData("refs: []\n", 1, 7, "refs", "is empty")]
    [InlineData("refs: main\n", 1, 7, "refs", "must be a list of rules")]
    [InlineData("refs:\n  - main\n", 2, 5, "refs[0]", "must be a mapping")]
    [InlineData("refs:\n  - match: [a, b]\n", 2, 12, "refs[0].match", "must be a plain value")]
    public void Bad_rules_name_file_line_and_key(string refs, int line, int column, string key, string problem)
    {
        var e = Assert.Throws<MirrorConfigException>(() => ConfigLoader.Parse(refs + TwoPairs, File));

        Assert.Equal((line, column, key), (e.Line, e.Column, e.Key));
        Assert.Contains(problem, e.Message);
        Assert.StartsWith($"{File}:{line}:", e.Message);
    }

    [Fact]
    public void A_bad_rule_of_a_pair_names_the_pairs_key()
    {
        var yaml = TwoPairs + "    refs:\n      - match: main\n        direction: github-to-github\n";

        var e = Assert.Throws<MirrorConfigException>(() => ConfigLoader.Parse(yaml, File));

        Assert.Equal(("repos[1].refs[0].direction", 8), (e.Key, e.Line));
        Assert.Contains("use both, github-to-gitlab, gitlab-to-github or none", e.Message);
    }
}
