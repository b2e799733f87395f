using GitMirror.Core.Config;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.Core.Tests.Security;

/// <summary>Issue 12, items 3, 9 and 10: what repos.yaml may not say.</summary>
public sealed class ConfigSecurityTests
{
    private const string File = "/cfg/repos.yaml";
    private const string Pairs = """
        repos:
          - github: myorg/repo1
            gitlab: team/repo1
        """;

    [Theory]
    [InlineData("url: http://gm-canary.test:8080", "github.url", 2)]
    [InlineData("url: http://10.0.0.5", "github.url", 2)]
    [InlineData("url: https://ghe.example\n  api: http://ghe.example/api/v3", "github.api", 3)]
    public void Plain_http_to_a_host_that_is_not_loopback_is_refused(string section, string key, int line)
    {
        var e = Assert.Throws<MirrorConfigException>(() => ConfigLoader.Parse($"github:\n  {section}\n{Pairs}", File));

        Assert.Equal((key, line), (e.Key, e.Line));
        Assert.Contains("clear text", e.Message);
        Assert.Contains("github.allowInsecureHttp: true", e.Message);
    }

    [Theory]
    [InlineData("http://localhost:8080")]
    [InlineData("http://LOCALHOST")]
    [InlineData("http://127.0.0.1:9")]
    [InlineData("http://127.1.2.3")]
    [InlineData("http://[::1]:8080")]
    public void Plain_http_to_loopback_needs_no_opt_in(string url)
    {
        var config = ConfigLoader.Parse($"gitlab:\n  url: {url}\n{Pairs}", File);

        Assert.StartsWith(url.ToLowerInvariant(), config.Pairs[0].GitLabUrl.ToLowerInvariant());
        Assert.Empty(config.Warnings);
    }

    [Fact]
    public void The_opt_in_is_per_forge_and_warns_for_every_insecure_url()
    {
        var config = ConfigLoader.Parse($"""
            github:
              url: http://ghe.internal
              allowInsecureHttp: true
            {Pairs}
            """, File);

        Assert.Equal("http://ghe.internal/myorg/repo1.git", config.Pairs[0].GitHubUrl);
        Assert.True(config.GitHub.AllowInsecureHttp);
        Assert.False(config.GitLab.AllowInsecureHttp);
        Assert.Equal(2, config.Warnings.Count); // url and the api derived from it
        Assert.All(config.Warnings, w => Assert.Contains("clear text", w));

        var gitlab = Assert.Throws<MirrorConfigException>(() => ConfigLoader.Parse($"""
            github:
              url: http://ghe.internal
              allowInsecureHttp: true
            gitlab:
              url: http://gitlab.internal
            {Pairs}
            """, File));
        Assert.Equal("gitlab.url", gitlab.Key);
    }

    [Fact]
    public void AllowInsecureHttp_takes_only_true_or_false()
    {
        var e = Assert.Throws<MirrorConfigException>(() => ConfigLoader.Parse($"github:\n  allowInsecureHttp: yes please\n{Pairs}", File));
        Assert.Equal(("github.allowInsecureHttp", 2), (e.Key, e.Line));
    }

    [Theory]
    [InlineData("https://bot:glpat-CANARY-in-url@gitlab.example/api/v4", "must not hold credentials")]
    [InlineData("ftp://gitlab.example/api/v4", "is not an http:// or https:// URL")]
    [InlineData("gitlab.example/api/v4", "is not an http:// or https:// URL")]
    [InlineData("https://gitlab.example/api/v4?private_token=x", "query")]
    public void Api_urls_are_validated_like_git_urls(string api, string problem)
    {
        var e = Assert.Throws<MirrorConfigException>(() => ConfigLoader.Parse($"gitlab:\n  api: {api}\n{Pairs}", File));

        Assert.Equal(("gitlab.api", 2), (e.Key, e.Line));
        Assert.Contains(problem, e.Message);
        Assert.DoesNotContain("CANARY", e.Message);
    }

    [Fact]
    public void A_deeply_nested_file_is_rejected_before_it_can_overflow_the_stack()
    {
        // 100,000 nested flow sequences: 200 KB that made YamlDotNet's tree builder overflow the
        // stack, which no catch can stop (the test process would die here).
        var text = "repos: " + new string('[', 100_000) + new string(']', 100_000) + "\n";

        var e = Assert.Throws<MirrorConfigException>(() => ConfigLoader.Parse(text, File));

        Assert.Equal(1, e.Line);
        Assert.Contains($"nested more than {ConfigLoader.MaxDepth} deep", e.Message);
    }

    [Fact]
    public void Deep_block_sequences_on_one_line_are_rejected_too()
    {
        var text = "repos:\n  " + string.Concat(Enumerable.Repeat("- ", 50_000)) + "x\n";
        var e = Assert.Throws<MirrorConfigException>(() => ConfigLoader.Parse(text, File));
        Assert.Contains("nested more than", e.Message);
    }

    [Fact]
    public void A_file_over_the_size_limit_is_not_read()
    {
        using var dir = new TempDir("cfg-size");
        var path = dir.Combine("repos.yaml");
        using (var stream = System.IO.File.Create(path))
        {
            stream.Write(System.Text.Encoding.UTF8.GetBytes(Pairs + "\n#"));
            stream.SetLength(ConfigLoader.MaxFileBytes + 1);
        }

        var e = Assert.Throws<MirrorConfigException>(() => ConfigLoader.Load(path));

        Assert.Contains("over the limit", e.Message);
        Assert.Equal(path, e.FilePath);
    }
}
