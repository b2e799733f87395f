using GitMirror.Core.Config;
using GitMirror.Core.Organizations;
using Xunit;

namespace GitMirror.Core.Tests.Organizations;

public class OrganizationConfigTests
{
    private const string File = "/cfg/repos.yaml";

    [Fact]
    public void Organizations_are_read_and_repos_becomes_optional()
    {
        var config = ConfigLoader.Parse("""
            onDivergence: skip-ref
            organizationRefreshMinutes: 3
            organizations:
              - github: acme
                gitlab: acme-mirror/platform
                include: ['service-*', 'lib-*']
                exclude: [service-old*]
              - github: other
                gitlab: other-group
                onDivergence: halt-pair
            """, File);
        Assert.Empty(config.Pairs);
        Assert.Equal(TimeSpan.FromMinutes(3), config.OrganizationRefresh);
        Assert.Equal(2, config.Organizations.Count);
        var acme = config.Organizations[0];
        Assert.Equal(("acme", "acme-mirror/platform"), (acme.GitHub, acme.GitLab));
        Assert.Equal(["service-*", "lib-*"], acme.Include);
        Assert.Equal(["service-old*"], acme.Exclude);
        Assert.Equal(MirrorDivergencePolicy.SkipRef, acme.OnDivergence);
        Assert.Equal(MirrorDivergencePolicy.HaltPair, config.Organizations[1].OnDivergence);
        Assert.Equal(["*"], config.Organizations[1].Include);
        Assert.True(acme.Selects("Service-API"));
        Assert.False(acme.Selects("service-old-api"));
        Assert.False(acme.Selects("website"));
    }

    [Fact]
    public void The_refresh_defaults_to_ten_minutes_and_repos_and_organizations_can_be_combined()
    {
        var config = ConfigLoader.Parse("""
            repos:
              - github: acme/special
                gitlab: elsewhere/special
            organizations:
              - github: acme
                gitlab: acme-mirror
            """, File);
        Assert.Equal(TimeSpan.FromMinutes(10), config.OrganizationRefresh);
        Assert.Single(config.Pairs);
        Assert.Null(config.Pairs[0].Organization);
    }

    [Fact]
    public void An_organisations_refs_replace_the_top_level_rules_for_its_pairs()
    {
        var config = ConfigLoader.Parse("""
            refs:
              - match: '**'
            organizations:
              - github: acme
                gitlab: acme-mirror
                refs:
                  - match: 'release/**'
                    kind: branch
                    direction: github-to-gitlab
              - github: other
                gitlab: other-mirror
            """, File);

        var acme = config.Organizations[0].RefRules;
        Assert.Equal(MirrorDirection.GitHubToGitLab, acme.DirectionOf("refs/heads/release/1.0"));
        Assert.Null(acme.DirectionOf("refs/heads/main"));
        Assert.Same(config.RefRules, config.Organizations[1].RefRules);
    }

    [Theory]
    [InlineData("organizations:\n  - github: acme\n", 2, "organizations[0].gitlab", "missing")]
    [InlineData("organizations:\n  - gitlab: acme\n", 2, "organizations[0].github", "missing")]
    [InlineData("organizations:\n  - github: acme\n    gitlab: g\n    include: ['']\n", 4, "organizations[0].include", "empty")]
    [InlineData("organizations:\n  - github: acme\n    gitlab: g\n    exclude: []\n", 4, "organizations[0].exclude", "empty")]
    [InlineData("organizations:\n  - github: acme\n    gitlab: g\n    include: ['a/b']\n", 4, "organizations[0].include", "'/'")]
    [InlineData("organizations:\n  - github: acme\n    gitlab: g\n    include: ['re[0-9]']\n", 4, "organizations[0].include", "'['")]
    [InlineData("organizations:\n  - github: acme/x\n    gitlab: g\n", 2, "organizations[0].github", "not a GitHub organisation")]
    [InlineData("organizations:\n  - github: acme\n    gitlab: g\n    refs: []\n", 4, "organizations[0].refs", "is empty")]
    [InlineData("organizations:\n  - github: acme\n    gitlab: g\n    refs:\n      - match: main\n        direction: sideways\n", 6, "organizations[0].refs[0].direction", "not a direction")]
    [InlineData("organizations:\n  - github: acme\n    gitlab: g\n    onDivergence: sideways\n", 4, "organizations[0].onDivergence", "not a policy")]
    [InlineData("organizations:\n  - github: acme\n    gitlab: g\n  - github: ACME\n    gitlab: h\n", 4, "organizations[1].github", "duplicate")]
    [InlineData("organizations: []\n", 1, "organizations", "empty")]
    [InlineData("organizations:\n  - github: acme\n    gitlab: g\norganizationRefreshMinutes: soon\n", 4, "organizationRefreshMinutes", "minutes")]
    [InlineData("github:\n  url: https://github.com\n", 1, "repos", "organizations:")]
    public void Bad_organisations_name_the_line_and_the_key(string yaml, int line, string key, string problem)
    {
        var error = Assert.Throws<MirrorConfigException>(() => ConfigLoader.Parse(yaml, File));
        Assert.Equal(line, error.Line);
        Assert.Equal(key, error.Key);
        Assert.Contains(problem, error.Message);
        Assert.Contains(File, error.Message);
    }

    [Theory]
    [InlineData("*", "anything", true)]
    [InlineData("service-*", "service-api", true)]
    [InlineData("service-*", "Service-API", true)]
    [InlineData("service-*", "my-service-api", false)]
    [InlineData("*-api", "billing-api", true)]
    [InlineData("*-api", "billing-api-v2", false)]
    [InlineData("a*b*c", "aXXbYYc", true)]
    [InlineData("a*b*c", "aXXbYY", false)]
    [InlineData("exact", "exact", true)]
    [InlineData("exact", "exactly", false)]
    public void Name_globs_match_within_the_name(string glob, string name, bool expected) =>
        Assert.Equal(expected, NameGlob.IsMatch(glob, name));
}
