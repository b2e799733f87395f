using GitMirror.Core.Config;
using Xunit;

namespace GitMirror.Core.Tests.Config;

public class ConfigLoaderTests
{
    private const string File = "/cfg/repos.yaml";

    [Fact]
    public void The_original_tools_file_is_valid_as_is()
    {
        var config = ConfigLoader.Parse("""
            repos:
              - github: myorg/repo1
                gitlab: myorg/repo1
              - github: myorg/repo2
                gitlab: myorg/repo2
            """, File);
        Assert.Equal(2, config.Pairs.Count);
        var pair = config.Pairs[0];
        Assert.Equal("myorg/repo1", pair.Name);
        Assert.Equal("https://github.com/myorg/repo1.git", pair.GitHubUrl);
        Assert.Equal("https://gitlab.com/myorg/repo1.git", pair.GitLabUrl);
        Assert.Equal(MirrorDivergencePolicy.HaltPair, pair.OnDivergence);
        Assert.Equal("GITHUB_TOKEN", pair.GitHubTokenEnv);
        Assert.Equal("https://gitlab.com/api/v4", pair.GitLabApi);
    }

    [Fact]
    public void Every_documented_key_is_read()
    {
        var config = ConfigLoader.Parse("""
            version: 1
            github:
              url: https://ghe.example.com
              tokenEnv: GHE_TOKEN
            gitlab:
              url: ./local/gitlab
              api: http://127.0.0.1:9/api/v4
              tokenEnv: GL_TOKEN
            cache: ./cache
            onDivergence: skip-ref
            repos:
              - github: myorg/repo2
                gitlab: team/sub/repo2
                name: repo2
                onDivergence: halt-pair
              - github: a/b.git
                gitlab: c/d
            """, File);
        var pair = config.Pairs[0];
        Assert.Equal("repo2", pair.Name);
        Assert.Equal("https://ghe.example.com/myorg/repo2.git", pair.GitHubUrl);
        Assert.Equal("https://ghe.example.com/api/v3", pair.GitHubApi);
        Assert.Equal("GHE_TOKEN", pair.GitHubTokenEnv);
        Assert.Equal(Path.GetFullPath("/cfg/local/gitlab/team/sub/repo2.git"), pair.GitLabUrl);
        Assert.Equal(Path.GetFullPath("/cfg/cache"), pair.CachePath);
        Assert.Equal(MirrorDivergencePolicy.HaltPair, pair.OnDivergence);
        Assert.Equal(MirrorDivergencePolicy.SkipRef, config.Pairs[1].OnDivergence);
        Assert.Equal("a/b", config.Pairs[1].GitHub);
    }

    [Theory]
    [InlineData("repos:\n  - github: a/b\n    gitlab: c/d\n    gitlabb: x\n", 4, 5, "repos[0].gitlabb", "unknown key")]
    [InlineData("repos:\n  - github: a/b\n", 2, 5, "repos[0].gitlab", "missing")]
    [InlineData("repos:\n  - github: a/b\n    gitlab: c/d\n  - github: a/b\n    gitlab: e/f\n", 4, 13, "repos[1].name", "duplicate pair name")]
    [InlineData("repos:\n  - github: a/b\n    gitlab: c/d\n    name: x\n  - github: a/b\n    gitlab: e/f\n", 5, 13, "repos[1].github", "duplicate GitHub repository")]
    [InlineData("repos:\n  - github: a/b\n    gitlab: c/d\n  - github: e/f\n    gitlab: c/d\n", 5, 13, "repos[1].gitlab", "duplicate GitLab project")]
    [InlineData("version: 1\ngithub:\n  tokenEnv: BOT\n", 1, 1, "repos", "missing")]
    [InlineData("repos: []\n", 1, 8, "repos", "is empty")]
    [InlineData("repos:\n", 1, 7, "repos", "must be a list")]
    [InlineData("repos:\n  - github: a/b\n    gitlab: c/d: e\n", 3, 0, null, "invalid YAML")]
    [InlineData("repos:\n  - github: justaname\n    gitlab: c/d\n", 2, 13, "repos[0].github", "not a GitHub repository path")]
    [InlineData("repos:\n  - github: a/b\n    gitlab: ../d\n", 3, 13, "repos[0].gitlab", "not a GitLab project path")]
    [InlineData("version: 2\nrepos:\n  - github: a/b\n    gitlab: c/d\n", 1, 10, "version", "only version 1")]
    [InlineData("onDivergence: merge\nrepos:\n  - github: a/b\n    gitlab: c/d\n", 1, 15, "onDivergence", "not a policy")]
    [InlineData("github:\n  tokenEnv: ghp_abc-123\nrepos:\n  - github: a/b\n    gitlab: c/d\n", 2, 13, "github.tokenEnv", "not an environment variable name")]
    [InlineData("github:\n  url: https://bot:secret@github.com\nrepos:\n  - github: a/b\n    gitlab: c/d\n", 2, 8, "github.url", "must not hold credentials")]
    [InlineData("Repos:\n  - github: a/b\n    gitlab: c/d\n", 1, 1, "Repos", "did you mean 'repos'")]
    [InlineData("gitlab:\n  maxPushSize: lots\nrepos:\n  - github: a/b\n    gitlab: c/d\n", 2, 16, "gitlab.maxPushSize", "not a size")]
    [InlineData("github:\n  maxPushSize: 512k\nrepos:\n  - github: a/b\n    gitlab: c/d\n", 2, 16, "github.maxPushSize", "too small")]
    public void Bad_files_name_file_line_column_and_key(string yaml, int line, int column, string? key, string problem)
    {
        var e = Assert.Throws<MirrorConfigException>(() => ConfigLoader.Parse(yaml, File));
        Assert.Equal(File, e.FilePath);
        Assert.Equal(line, e.Line);
        if (column > 0) Assert.Equal(column, e.Column);
        Assert.Equal(key, e.Key);
        Assert.Contains(problem, e.Message);
        Assert.StartsWith($"{File}:{line}:", e.Message);
        Assert.DoesNotContain("secret", e.Message);
    }

    [Theory]
    [InlineData("version: 1\nrepos:\n\t- github: a/b\n    gitlab: a/b\n", 3, 1, "a tab indents this line")]
    [InlineData("version: 1\nrepos:\n  - github: a/b\n    gitlab: a/b\n    name: \"unterminated\n  - github: c/d\n    gitlab: c/d\n", 5, 11, "quoted with \" here is not closed")]
    [InlineData("version: 1\nrepos:\n  - github: 'a/b\n    gitlab: c/d\n  - github: e/f\n    gitlab: g/h\n", 3, 13, "quoted with ' here is not closed")]
    [InlineData("version: 1\ngithub:\n  url: x\n   api: y\nrepos:\n  - github: a/b\n    gitlab: a/b\n", 4, 0, "check this line's indentation")]
    public void Yaml_syntax_errors_point_at_the_cause_in_plain_words(string yaml, int line, int column, string problem)
    {
        var e = Assert.Throws<MirrorConfigException>(() => ConfigLoader.Parse(yaml, File));
        Assert.Equal(line, e.Line);
        if (column > 0) Assert.Equal(column, e.Column);
        Assert.Contains(problem, e.Message);
        Assert.DoesNotContain("While scanning", e.Message);
    }

    [Fact]
    public void The_push_size_limit_defaults_to_githubs_2_gb_and_is_set_per_forge()
    {
        var config = ConfigLoader.Parse("gitlab:\n  maxPushSize: 500m\nrepos:\n  - github: a/b\n    gitlab: c/d\n", File);
        Assert.Equal(2L << 30, config.Pairs[0].GitHubMaxPushBytes);
        Assert.Equal(500L << 20, config.Pairs[0].GitLabMaxPushBytes);
        Assert.Equal(3_000_000_000, ConfigLoader.Parse("github:\n  maxPushSize: 3000000000\nrepos:\n  - github: a/b\n    gitlab: c/d\n", File)
            .Pairs[0].GitHubMaxPushBytes);
    }

    [Fact]
    public void An_empty_file_is_an_error()
    {
        var e = Assert.Throws<MirrorConfigException>(() => ConfigLoader.Parse("", File));
        Assert.Contains("empty", e.Message);
    }

    [Fact]
    public void A_missing_file_says_how_to_name_one()
    {
        var e = Assert.Throws<MirrorConfigException>(() => ConfigLoader.Load("/nonexistent/repos.yaml"));
        Assert.Contains("GITMIRROR_CONFIG", e.Message);
    }
}
