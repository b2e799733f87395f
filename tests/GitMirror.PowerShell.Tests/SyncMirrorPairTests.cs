using System.Management.Automation;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.PowerShell.Tests;

/// <summary>Sync-MirrorPair and Compare-MirrorRef as a user runs them, checked with the git CLI.</summary>
public sealed class SyncMirrorPairTests : IDisposable
{
    private readonly MirrorWorld _world = new();
    private readonly PowerShellSession _ps;

    public SyncMirrorPairTests()
    {
        _ps = new PowerShellSession(_world.Root);
    }

    public void Dispose()
    {
        _ps.Dispose();
        _world.Dispose();
    }

    private RunResult Sync(string args = "-All") => _ps.Run($"Sync-MirrorPair {args} -Path $args[0]", _world.ConfigPath);

    private static string Prop(PSObject o, string name) => o.Properties[name].Value?.ToString() ?? "";

    private int ExitCode => (int)_ps.Run("$GitMirrorSyncExitCode").Output[0].BaseObject;

    private static void AssertSameRefs(string githubRepo, string gitlabRepo)
    {
        var github = RepoBuilder.Refs(githubRepo);
        var gitlab = RepoBuilder.Refs(gitlabRepo);
        Assert.Equal(github.OrderBy(r => r.Key), gitlab.OrderBy(r => r.Key));
    }

    [Fact]
    public void Initial_sync_into_an_empty_side_copies_every_branch_and_tag_and_keeps_annotated_tags()
    {
        var (github, gitlab) = _world.AddPair("app");
        var main = github.Commits(3);
        github.Commit("feature/x");
        github.Tag("v1", main);
        var annotated = github.Tag("v2", main, "release two");

        var result = Sync();

        Assert.Empty(result.AllErrors.Select(e => e.Exception.ToString()));
        var sync = Assert.Single(result.Output);
        Assert.Equal("Synced", Prop(sync, "Status"));
        Assert.Equal("app", Prop(sync, "PairName"));
        Assert.Equal(4, ((Array)sync.Properties["Updates"].Value).Length);
        AssertSameRefs(github.BarePath, gitlab.BarePath);
        Assert.Equal(annotated, Git.Run(gitlab.BarePath, "rev-parse", "refs/tags/v2"));
        Assert.Equal("tag", Git.Run(gitlab.BarePath, "cat-file", "-t", "refs/tags/v2"));
        Assert.Equal(0, ExitCode);
    }

    [Fact]
    public void Both_sides_empty_is_up_to_date()
    {
        _world.AddPair("empty");

        var result = Sync();

        Assert.Empty(result.AllErrors);
        Assert.Equal("UpToDate", Prop(Assert.Single(result.Output), "Status"));
    }

    [Fact]
    public void Branches_created_on_each_side_and_fast_forwards_go_both_ways()
    {
        var (github, gitlab) = _world.AddPair("app");
        var main = github.Commits(2);
        Assert.Empty(Sync().AllErrors);

        github.Commit("main");                 // GitHub ahead on main
        gitlab.Commit("from-gitlab", from: main); // new on GitLab
        github.Commit("from-github", from: main); // new on GitHub
        var dev = gitlab.Commit("dev", from: main);
        gitlab.Commit("dev");                  // GitLab-only branch with two commits

        var comparisons = _ps.Run("Compare-MirrorRef -Path $args[0] | Where-Object { $_.Status -ne 'InSync' } | ForEach-Object { '{0}={1}' -f $_.Ref, $_.Status }", _world.ConfigPath);
        Assert.Equal(
            ["refs/heads/dev=GitLabOnly", "refs/heads/from-github=GitHubOnly", "refs/heads/from-gitlab=GitLabOnly", "refs/heads/main=GitHubAhead"],
            comparisons.Output.Select(o => o.ToString()));

        var result = Sync();

        Assert.Empty(result.AllErrors);
        Assert.Equal("Synced", Prop(Assert.Single(result.Output), "Status"));
        AssertSameRefs(github.BarePath, gitlab.BarePath);

        gitlab.Commit("main");                 // now GitLab ahead
        Assert.Equal("Synced", Prop(Assert.Single(Sync().Output), "Status"));
        AssertSameRefs(github.BarePath, gitlab.BarePath);
        Assert.Equal("UpToDate", Prop(Assert.Single(Sync().Output), "Status"));
        _ = dev;
    }

    [Fact]
    public void A_diverged_branch_halts_the_pair_with_no_push_at_all()
    {
        var (github, gitlab) = _world.AddPair("app");
        var main = github.Commits(2);
        Assert.Empty(Sync().AllErrors);
        github.Commit("main", message: "github work");
        gitlab.Commit("main", from: main, message: "gitlab work");
        github.Commit("new-branch");
        var before = RepoBuilder.Refs(gitlab.BarePath);

        var result = Sync();

        var sync = Assert.Single(result.Output);
        Assert.Equal("Halted", Prop(sync, "Status"));
        Assert.Equal(["refs/heads/main"], (string[])sync.Properties["DivergedRefs"].Value);
        Assert.Equal(["MirrorRefDiverged"], result.ErrorIds);
        Assert.Equal("refs/heads/main", PSObject.AsPSObject(result.Errors[0].TargetObject).Properties["Ref"].Value);
        Assert.Equal(before, RepoBuilder.Refs(gitlab.BarePath));
        Assert.Equal(1, ExitCode);

        var diverged = _ps.Run("Get-MirrorPair -Path $args[0] | Compare-MirrorRef | Where-Object Diverged", _world.ConfigPath);
        var comparison = Assert.Single(diverged.Output);
        Assert.Equal("refs/heads/main", Prop(comparison, "Ref"));
        Assert.Equal(main, Prop(comparison, "MergeBase"));
        Assert.Equal("1", Prop(comparison, "GitHubAheadBy"));
        Assert.Equal("1", Prop(comparison, "GitLabAheadBy"));
    }

    [Fact]
    public void Skip_ref_leaves_only_the_diverged_ref_alone()
    {
        var (github, gitlab) = _world.AddPair("app", policy: "skip-ref");
        var main = github.Commits(2);
        Assert.Empty(Sync().AllErrors);
        github.Commit("main");
        gitlab.Commit("main", from: main);
        var other = github.Commit("other");

        var result = Sync();

        var sync = Assert.Single(result.Output);
        Assert.Equal("Synced", Prop(sync, "Status"));
        Assert.Equal(["refs/heads/main"], (string[])sync.Properties["DivergedRefs"].Value);
        Assert.Equal(["MirrorRefDiverged"], result.ErrorIds);
        Assert.Equal(other, Git.Run(gitlab.BarePath, "rev-parse", "refs/heads/other"));
        Assert.NotEqual(Git.Run(github.BarePath, "rev-parse", "main"), Git.Run(gitlab.BarePath, "rev-parse", "main"));
        Assert.Equal(1, ExitCode);
    }

    [Fact]
    public void A_moved_tag_and_an_annotated_versus_lightweight_tag_are_divergences()
    {
        var (github, gitlab) = _world.AddPair("app");
        var first = github.Commits(1);
        var second = github.Commit();
        github.Tag("moved", first);
        github.Tag("kind", first, "annotated");
        Assert.Empty(Sync().AllErrors);
        Git.Run(gitlab.BarePath, "tag", "-f", "moved", second);
        Git.Run(gitlab.BarePath, "tag", "-f", "kind", first);

        var result = _ps.Run("Compare-MirrorRef -Path $args[0] -Ref 'moved','refs/tags/k*' | Where-Object Diverged | ForEach-Object Ref", _world.ConfigPath);

        Assert.Equal(["refs/tags/kind", "refs/tags/moved"], result.Output.Select(o => o.ToString()));
        Assert.Equal("Halted", Prop(Assert.Single(Sync().Output), "Status"));
    }

    [Fact]
    public void Refs_outside_heads_and_tags_are_never_mirrored()
    {
        var (github, gitlab) = _world.AddPair("app");
        var main = github.Commits(1);
        RepoBuilder.SetRef(github.BarePath, "refs/pull/1/head", main);
        RepoBuilder.SetRef(github.BarePath, "refs/pull/1/merge", main);
        RepoBuilder.SetRef(github.BarePath, "refs/merge-requests/7/head", main);
        RepoBuilder.SetRef(github.BarePath, "refs/keep-around/" + main, main);

        Assert.Empty(Sync().AllErrors);

        Assert.Equal(["refs/heads/main"], RepoBuilder.Refs(gitlab.BarePath).Keys);
    }

    [Fact]
    public void A_branch_deleted_on_one_side_is_restored_from_the_other()
    {
        var (github, gitlab) = _world.AddPair("app");
        github.Commits(1);
        var topic = github.Commit("topic");
        Assert.Empty(Sync().AllErrors);
        RepoBuilder.DeleteRef(gitlab.BarePath, "refs/heads/topic");

        Assert.Equal("Synced", Prop(Assert.Single(Sync().Output), "Status"));

        Assert.Equal(topic, Git.Run(gitlab.BarePath, "rev-parse", "refs/heads/topic"));
    }

    [Fact]
    public void A_hundred_branches_and_tags_sync_in_one_run()
    {
        var (github, gitlab) = _world.AddPair("big");
        var main = github.Commits(1);
        // GitLab needs the commit its tags point at.
        Git.Run(gitlab.BarePath, "fetch", "--quiet", github.BarePath, "refs/heads/main:refs/heads/main");
        for (var i = 0; i < 50; i++)
        {
            RepoBuilder.SetRef(github.BarePath, $"refs/heads/b{i:D2}", main);
            RepoBuilder.SetRef(gitlab.BarePath, $"refs/tags/t{i:D2}", main);
        }

        var result = Sync();

        Assert.Empty(result.AllErrors);
        Assert.Equal(100, ((Array)Assert.Single(result.Output).Properties["Updates"].Value).Length);
        AssertSameRefs(github.BarePath, gitlab.BarePath);
        Assert.Equal(101, RepoBuilder.Refs(gitlab.BarePath).Count);
    }

    [Fact]
    public void A_failing_pair_does_not_stop_a_healthy_one()
    {
        _world.AddPair("broken", gitlabPath: "group/missing");
        Directory.Delete(_world.GitLabRepo("group/missing"), recursive: true);
        var (github, gitlab) = _world.AddPair("healthy");
        github.Commits(1);

        var result = Sync();

        var byName = result.Output.ToDictionary(o => Prop(o, "PairName"), o => Prop(o, "Status"));
        Assert.Equal("Failed", byName["broken"]);
        Assert.Equal("Synced", byName["healthy"]);
        Assert.Equal(["MirrorRepositoryNotFound"], result.ErrorIds);
        Assert.Contains("GitLab (group/missing)", result.Errors.Single().ToString());
        AssertSameRefs(github.BarePath, gitlab.BarePath);
        Assert.Equal(2, ExitCode);
    }

    [Fact]
    public void WhatIf_previews_the_run_as_filterable_results_and_changes_nothing()
    {
        var (github, gitlab) = _world.AddPair("app");
        github.Commits(2);
        _world.AddPair("quiet");

        var result = Sync("-All -WhatIf");

        Assert.Empty(result.AllErrors);
        var byName = result.Output.ToDictionary(o => Prop(o, "PairName"));
        Assert.Equal(["app", "quiet"], byName.Keys.Order());
        var app = byName["app"];
        Assert.Equal("Synced", Prop(app, "Status"));
        Assert.Equal("True", Prop(app, "WhatIf"));
        var updates = ((System.Collections.IEnumerable)app.Properties["Updates"].Value).Cast<object>().Select(PSObject.AsPSObject).ToList();
        var update = Assert.Single(updates);
        Assert.Equal("refs/heads/main", Prop(update, "Ref"));
        Assert.Equal("GitLab", Prop(update, "Target"));
        Assert.Equal("False", Prop(update, "Succeeded"));
        Assert.Equal("UpToDate", Prop(byName["quiet"], "Status"));
        Assert.Empty(RepoBuilder.Refs(gitlab.BarePath));
        Assert.Equal(0, ExitCode);

        // A preview filters like a run.
        var wouldPush = _ps.Run("Sync-MirrorPair -All -WhatIf -Path $args[0] | Where-Object { $_.Updates.Count -gt 0 }", _world.ConfigPath);
        Assert.Equal(["app"], wouldPush.Output.Select(o => Prop(o, "PairName")));
    }

    [Fact]
    public void Pairs_can_be_chosen_by_name_or_piped_from_Get_MirrorPair()
    {
        var (a, _) = _world.AddPair("alpha");
        var (b, bLab) = _world.AddPair("beta");
        a.Commits(1);
        b.Commits(1);

        var byName = Sync("-Name 'al*'");
        Assert.Equal(["alpha"], byName.Output.Select(o => Prop(o, "PairName")));
        Assert.Empty(RepoBuilder.Refs(bLab.BarePath));

        var piped = _ps.Run("Get-MirrorPair beta -Path $args[0] | Sync-MirrorPair", _world.ConfigPath);
        Assert.Equal(["beta"], piped.Output.Select(o => Prop(o, "PairName")));
        Assert.NotEmpty(RepoBuilder.Refs(bLab.BarePath));
    }

    [Fact]
    public void A_bad_config_is_a_terminating_error_naming_the_line_and_exit_code_3()
    {
        File.WriteAllText(_world.ConfigPath, "repos:\n  - github: a/b\n    gitlab: c/d\n    colour: blue\n");

        var result = Sync();

        var error = Assert.Single(result.AllErrors);
        Assert.Equal("MirrorConfigInvalid", result.ErrorIds.Single());
        Assert.Equal(System.Management.Automation.ErrorCategory.InvalidData, error.CategoryInfo.Category);
        Assert.Contains("repos.yaml:4:5: repos[0].colour: unknown key", error.ToString());
        Assert.Empty(result.Output);
        Assert.Equal(3, ExitCode);
    }

    [Fact]
    public void A_pair_name_that_matches_nothing_is_an_error_and_exit_code_3_not_0()
    {
        var (github, gitlab) = _world.AddPair("app");
        github.Commits(1);

        var result = Sync("-Name apq");

        Assert.Equal(["MirrorPairNotFound"], result.ErrorIds);
        Assert.Empty(result.Output);
        Assert.Empty(RepoBuilder.Refs(gitlab.BarePath));
        Assert.Equal(3, ExitCode);
    }
}
