using System.Management.Automation;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.PowerShell.Tests;

/// <summary>
/// Repair-MirrorDivergence and Remove-MirrorRef as a user runs them (local paths: no server
/// behaviour matters here; hooks and leases are tested over HTTP in GitMirror.Core.Tests).
/// </summary>
public sealed class RepairMirrorDivergenceTests : IDisposable
{
    private const string Diverged = "Get-MirrorPair app -Path $args[0] | Compare-MirrorRef | Where-Object Diverged";

    private readonly MirrorWorld _world = new();
    private readonly TextHost _host = new();
    private readonly PowerShellSession _ps;

    public RepairMirrorDivergenceTests()
    {
        _ps = new PowerShellSession(_world.Root, host: _host);
    }

    public void Dispose()
    {
        _ps.Dispose();
        _world.Dispose();
    }

    private RunResult Run(string script) => _ps.Run(script, _world.ConfigPath);

    private static string Prop(PSObject o, string name) => o.Properties[name].Value?.ToString() ?? "";

    /// <summary>A synced pair, then one commit on main on each side.</summary>
    private (RepoBuilder GitHub, RepoBuilder GitLab, string GitHubTip, string GitLabTip) DivergedMain()
    {
        var (github, gitlab) = _world.AddPair("app");
        var shared = github.Commits(1);
        Assert.Empty(Run("Sync-MirrorPair app -Path $args[0]").AllErrors);
        return (github, gitlab, github.Commit("main", from: shared), gitlab.Commit("main", from: shared));
    }

    [Fact]
    public void The_runbook_pipeline_repairs_then_sync_leaves_everything_in_sync_with_the_backup_on_both_sides()
    {
        var (github, gitlab, githubTip, gitlabTip) = DivergedMain();

        var repair = Run($"{Diverged} | Repair-MirrorDivergence -Prefer GitHub -Confirm:$false");

        Assert.Empty(repair.AllErrors);
        var result = Assert.Single(repair.Output);
        Assert.Equal("GitMirror.MirrorRepairResult", result.BaseObject.GetType().FullName);
        Assert.Equal(("refs/heads/main", "GitHub", "True", gitlabTip, githubTip),
            (Prop(result, "Ref"), Prop(result, "Winner"), Prop(result, "Succeeded"), Prop(result, "OldSha"), Prop(result, "NewSha")));
        var backup = Prop(result, "BackupRef");
        Assert.Matches(@"^refs/heads/gitmirror/backup/\d{8}T\d{6}Z/main$", backup);
        Assert.Equal(githubTip, Git.Run(gitlab.BarePath, "rev-parse", "refs/heads/main"));
        Assert.Equal(gitlabTip, Git.Run(gitlab.BarePath, "rev-parse", backup));

        var sync = Run("Sync-MirrorPair app -Path $args[0]");
        Assert.Empty(sync.AllErrors);
        Assert.Equal("Synced", Prop(Assert.Single(sync.Output), "Status"));
        var compare = Run("Compare-MirrorRef app -Path $args[0]");
        Assert.All(compare.Output, c => Assert.Equal("InSync", Prop(c, "Status")));
        Assert.Equal(gitlabTip, Git.Run(github.BarePath, "rev-parse", backup));
    }

    [Fact]
    public void Force_repairs_by_name_and_short_ref_without_prompting()
    {
        var (github, _, _, gitlabTip) = DivergedMain();

        var repair = Run("Repair-MirrorDivergence -Name app -Ref main -Prefer GitLab -Force -Path $args[0]");

        Assert.Empty(repair.AllErrors);
        Assert.Equal("True", Prop(Assert.Single(repair.Output), "Succeeded"));
        Assert.Empty(_host.Prompts);
        Assert.Equal(gitlabTip, Git.Run(github.BarePath, "rev-parse", "refs/heads/main"));
    }

    [Fact]
    public void A_pair_piped_from_Get_MirrorPair_with_Ref_is_repaired()
    {
        var (github, _, _, gitlabTip) = DivergedMain();

        var repair = Run("Get-MirrorPair app -Path $args[0] | Repair-MirrorDivergence -Ref main -Prefer GitLab -Force");

        Assert.Empty(repair.AllErrors);
        Assert.Equal("True", Prop(Assert.Single(repair.Output), "Succeeded"));
        Assert.Equal(gitlabTip, Git.Run(github.BarePath, "rev-parse", "refs/heads/main"));
    }

    [Fact]
    public void The_confirmation_names_pair_ref_replaced_commit_and_backup_and_No_changes_nothing()
    {
        var (github, gitlab, _, gitlabTip) = DivergedMain();
        _host.ChoiceAnswer = "No";
        var before = RepoBuilder.Refs(gitlab.BarePath);

        var repair = Run($"{Diverged} | Repair-MirrorDivergence -Prefer GitHub");

        Assert.Empty(repair.AllErrors);
        Assert.Empty(repair.Output);
        var prompt = Assert.Single(_host.Prompts);
        Assert.Contains("pair 'app'", prompt);
        Assert.Contains("refs/heads/main", prompt);
        Assert.Contains(gitlabTip[..10], prompt);
        Assert.Matches(@"refs/heads/gitmirror/backup/\d{8}T\d{6}Z/main", prompt);
        Assert.Equal(before, RepoBuilder.Refs(gitlab.BarePath));
    }

    [Fact]
    public void A_host_that_cannot_prompt_stops_the_command_before_anything_changes()
    {
        var (github, gitlab, _, _) = DivergedMain();
        var (githubBefore, gitlabBefore) = (RepoBuilder.Refs(github.BarePath), RepoBuilder.Refs(gitlab.BarePath));

        var repair = Run($"{Diverged} | Repair-MirrorDivergence -Prefer GitHub");

        // The host's own failure, as PowerShell reports it for any cmdlet, not a pair failure.
        Assert.IsType<NotSupportedException>(Assert.Single(repair.AllErrors).Exception);
        Assert.Empty(repair.Output);
        Assert.Equal(githubBefore, RepoBuilder.Refs(github.BarePath));
        Assert.Equal(gitlabBefore, RepoBuilder.Refs(gitlab.BarePath));
    }

    [Fact]
    public void WhatIf_changes_nothing_and_writes_no_result()
    {
        var (github, gitlab, _, _) = DivergedMain();
        var (githubBefore, gitlabBefore) = (RepoBuilder.Refs(github.BarePath), RepoBuilder.Refs(gitlab.BarePath));

        var repair = Run($"{Diverged} | Repair-MirrorDivergence -Prefer GitHub -Force -WhatIf");

        Assert.Empty(repair.AllErrors);
        Assert.Empty(repair.Output);
        Assert.Contains("refs/heads/main", _host.Text); // the What if: line
        Assert.Equal(githubBefore, RepoBuilder.Refs(github.BarePath));
        Assert.Equal(gitlabBefore, RepoBuilder.Refs(gitlab.BarePath));
    }

    [Fact]
    public void A_ref_that_is_not_diverged_is_an_error_and_left_alone()
    {
        var (github, gitlab, _, _) = DivergedMain();
        github.Commit("feature");

        var repair = Run("Get-MirrorPair app -Path $args[0] | Compare-MirrorRef -Ref feature | Repair-MirrorDivergence -Prefer GitHub -Force");

        Assert.Empty(repair.Output);
        var error = Assert.Single(repair.AllErrors);
        Assert.Equal("MirrorRefNotDiverged,GitMirror.Commands.RepairMirrorDivergenceCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidOperation, error.CategoryInfo.Category);
        Assert.Equal("refs/heads/feature", Prop(PSObject.AsPSObject(error.TargetObject), "Ref"));
        Assert.DoesNotContain("refs/heads/feature", RepoBuilder.Refs(gitlab.BarePath).Keys);
    }

    [Fact]
    public void A_ref_that_moved_after_the_comparison_is_refused_with_MirrorRefMoved_and_left_alone()
    {
        var (github, gitlab, _, gitlabTip) = DivergedMain();
        Assert.Empty(Run($"$global:diverged = {Diverged}").AllErrors);
        var moved = gitlab.Commit("main", from: gitlabTip);
        var githubBefore = RepoBuilder.Refs(github.BarePath);

        var repair = Run("$global:diverged | Repair-MirrorDivergence -Prefer GitHub -Force");

        Assert.Empty(repair.Output);
        var error = Assert.Single(repair.AllErrors);
        Assert.Equal("MirrorRefMoved,GitMirror.Commands.RepairMirrorDivergenceCommand", error.FullyQualifiedErrorId);
        Assert.Contains("Compare-MirrorRef", error.ErrorDetails.RecommendedAction);
        Assert.Equal(moved, Git.Run(gitlab.BarePath, "rev-parse", "refs/heads/main"));
        Assert.Equal(githubBefore, RepoBuilder.Refs(github.BarePath));
        Assert.DoesNotContain(RepoBuilder.Refs(gitlab.BarePath).Keys, r => r.Contains("backup"));
    }

    [Fact]
    public void Remove_MirrorRef_deletes_on_both_sides_and_reports_each()
    {
        var (github, gitlab) = _world.AddPair("app");
        var leak = github.Commit("leak");
        Assert.Empty(Run("Sync-MirrorPair app -Path $args[0]").AllErrors);

        Assert.Empty(Run("Remove-MirrorRef app leak -Path $args[0] -WhatIf").Output);
        Assert.Contains("refs/heads/leak", RepoBuilder.Refs(gitlab.BarePath).Keys);

        var removed = Run("Remove-MirrorRef app leak -Path $args[0] -Force");

        Assert.Empty(removed.AllErrors);
        Assert.Equal(["GitHub True " + leak, "GitLab True " + leak],
            removed.Output.Select(u => $"{Prop(u, "Target")} {Prop(u, "Succeeded")} {Prop(u, "OldSha")}"));
        Assert.All(removed.Output, u => Assert.Null(u.Properties["NewSha"].Value));
        Assert.DoesNotContain("refs/heads/leak", RepoBuilder.Refs(github.BarePath).Keys);
        Assert.DoesNotContain("refs/heads/leak", RepoBuilder.Refs(gitlab.BarePath).Keys);

        var again = Run("Remove-MirrorRef app leak -Path $args[0] -Force");
        var error = Assert.Single(again.AllErrors);
        Assert.Equal("MirrorRefNotFound,GitMirror.Commands.RemoveMirrorRefCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        Assert.Equal("leak", error.TargetObject);
    }
}
