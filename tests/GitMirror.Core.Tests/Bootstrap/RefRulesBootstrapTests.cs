using GitMirror.Core.Bootstrap;
using GitMirror.Core.Config;
using GitMirror.Testing;
using GitMirror.Testing.Fakes;
using Xunit;

namespace GitMirror.Core.Tests.Bootstrap;

/// <summary>Initialize-MirrorBootstrap hands each side's CI job the pair's ref rules as MIRROR_REF_RULES.</summary>
public sealed class RefRulesBootstrapTests : IAsyncLifetime
{
    private const string GitHubToken = "ghp_canaryGH0123456789abcdef";
    private const string GitLabToken = "glpat-canaryGL-0123456789";

    private readonly TempDir _root = new("bootstrap-rules");
    private readonly Dictionary<string, string> _env = new() { ["GITHUB_TOKEN"] = GitHubToken, ["GITLAB_TOKEN"] = GitLabToken };
    private FakeGitHubApi _github = null!;
    private FakeGitLabApi _gitlab = null!;

    public async Task InitializeAsync()
    {
        _github = await FakeGitHubApi.StartAsync(_root.Combine("github"));
        _gitlab = await FakeGitLabApi.StartAsync(_root.Combine("gitlab"));
        _github.AddUser("gh-bot", GitHubToken, "repo", "workflow");
        _github.AddOrganization("myorg");
        _gitlab.AddUser("gl-bot", GitLabToken, "api", "write_repository");
        _gitlab.AddGroup("team");
    }

    public async Task DisposeAsync()
    {
        await _github.DisposeAsync();
        await _gitlab.DisposeAsync();
        _root.Dispose();
    }

    /// <summary>The pair myorg/app ↔ team/app as repos.yaml with these top-level rules (none: no refs: at all).</summary>
    private MirrorPair Pair(string? rules)
    {
        var yaml = $"github:\n  url: https://github.example\n  api: {_github.ApiUrl}\ngitlab:\n  url: https://gitlab.example\n  api: {_gitlab.ApiUrl}\n"
            + $"cache: {_root.Combine("cache")}\nrepos:\n  - github: myorg/app\n    gitlab: team/app\n"
            + (rules is null ? "" : "refs:\n" + rules);
        return ConfigLoader.Parse(yaml, _root.Combine("repos.yaml")).Pairs.Single();
    }

    private Task<MirrorBootstrapOutcome> Bootstrap(MirrorPair pair, bool whatIf = false) =>
        new MirrorBootstrapper(new MirrorBootstrapOptions { GitHubBotUser = "gh-bot", GitLabBotUser = "gl-bot" }, null, NullMirrorLog.Instance, name => _env.GetValueOrDefault(name))
            .BootstrapAsync(pair, (_, _) => !whatIf, default);

    private static MirrorBootstrapStep Variables(MirrorBootstrapOutcome outcome, MirrorBootstrapSide side) =>
        outcome.Result.Steps.Single(s => s.Step == MirrorBootstrapStepKind.Variables && s.Side == side);

    private const string Rules = """
          - match: main
            kind: branch
          - match: 'release/**'
            kind: branch
            direction: github-to-gitlab
          - match: 'dependabot/**'
            direction: none
          - match: '**'
            kind: tag
            direction: gitlab-to-github

        """;

    [Fact]
    public void Each_side_gets_one_line_per_rule_allowing_what_that_side_may_push()
    {
        var pair = Pair(Rules);

        Assert.Equal("ALLOW branch main\nALLOW branch release/**\nDENY any dependabot/**\nDENY tag **",
            MirrorCiVariables.RefRulesFor(pair.RefRules, MirrorSide.GitHub));
        Assert.Equal("ALLOW branch main\nDENY branch release/**\nDENY any dependabot/**\nALLOW tag **",
            MirrorCiVariables.RefRulesFor(pair.RefRules, MirrorSide.GitLab));
        Assert.Equal("ALLOW any **", MirrorCiVariables.RefRulesFor(Pair(null).RefRules, MirrorSide.GitHub));
    }

    [Fact]
    public async Task Bootstrap_sets_the_variable_on_both_sides_leaves_it_unchanged_and_updates_it_when_the_rules_change()
    {
        var whatIf = await Bootstrap(Pair(Rules), whatIf: true);
        Assert.Null(_github.Repository("myorg/app"));
        Assert.Equal(MirrorBootstrapAction.Skipped, Variables(whatIf, MirrorBootstrapSide.GitHub).Action);

        var first = await Bootstrap(Pair(Rules));
        Assert.True(first.Result.Succeeded, string.Join("\n", first.Result.Steps.Select(s => s.Detail)));
        Assert.Contains("MIRROR_REF_RULES created", Variables(first, MirrorBootstrapSide.GitHub).Detail);
        Assert.Equal("ALLOW branch main\nALLOW branch release/**\nDENY any dependabot/**\nDENY tag **",
            _github.Repository("myorg/app")!.Variables["MIRROR_REF_RULES"]);
        var onGitLab = _gitlab.Project("team/app")!.Variable("MIRROR_REF_RULES")!;
        Assert.Equal("ALLOW branch main\nDENY branch release/**\nDENY any dependabot/**\nALLOW tag **", onGitLab.Value);
        Assert.True(onGitLab.Raw, "a glob must reach the job as written, not $-expanded");

        var again = await Bootstrap(Pair(Rules));
        Assert.Equal(MirrorBootstrapAction.Unchanged, Variables(again, MirrorBootstrapSide.GitHub).Action);
        Assert.Equal(MirrorBootstrapAction.Unchanged, Variables(again, MirrorBootstrapSide.GitLab).Action);

        // The rules are removed from repos.yaml: the jobs go back to pushing everything.
        var removed = await Bootstrap(Pair(null));
        Assert.Contains("MIRROR_REF_RULES updated", Variables(removed, MirrorBootstrapSide.GitHub).Detail);
        Assert.Equal(MirrorBootstrapAction.Updated, Variables(removed, MirrorBootstrapSide.GitLab).Action);
        Assert.Equal("ALLOW any **", _github.Repository("myorg/app")!.Variables["MIRROR_REF_RULES"]);
        Assert.Equal("ALLOW any **", _gitlab.Project("team/app")!.Variable("MIRROR_REF_RULES")!.Value);

        // Under -WhatIf a change is reported and not made.
        var notMade = await Bootstrap(Pair(Rules), whatIf: true);
        Assert.Equal(MirrorBootstrapAction.Skipped, Variables(notMade, MirrorBootstrapSide.GitHub).Action);
        Assert.Equal("ALLOW any **", _github.Repository("myorg/app")!.Variables["MIRROR_REF_RULES"]);
    }
}
