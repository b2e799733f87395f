using System.Management.Automation;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.PowerShell.Tests;

/// <summary>
/// What people hit first at a prompt (issue 13): paths through PSDrives, output files that cannot
/// be written, a pipeline stopped downstream, answering No, piping pairs, completing refs.
/// </summary>
public sealed class InteractiveUseTests : IDisposable
{
    private readonly MirrorWorld _world = new();
    private readonly TextHost _host = new();
    private readonly PowerShellSession _ps;

    public InteractiveUseTests()
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

    private int ExitCode => (int)_ps.Run("$GitMirrorSyncExitCode").Output[0].BaseObject;

    private string StatusOf(string pair) => Prop(Run($"Get-MirrorStatus '{pair}' -Path $args[0]").Output.Single(), "Status");

    [Theory]
    [InlineData("-LogPath", "run.jsonl")]
    [InlineData("-MetricsPath", "gitmirror.prom")]
    public void An_output_file_in_a_missing_directory_stops_the_run_before_any_push_with_exit_code_3(string parameter, string file)
    {
        var (github, gitlab) = _world.AddPair("app");
        github.Commits(1);
        var missing = Path.Combine(_world.Root, "no", "such", "dir", file);

        var result = _ps.Run($"Sync-MirrorPair -All -Path $args[0] {parameter} $args[1]", _world.ConfigPath, missing);

        var error = Assert.Single(result.AllErrors);
        Assert.Equal("MirrorPathInvalid", result.ErrorIds.Single());
        Assert.Contains(Path.Combine(_world.Root, "no", "such", "dir"), error.ToString());
        Assert.DoesNotContain(".tmp", error.ToString());
        Assert.Empty(result.Output);
        Assert.Empty(RepoBuilder.Refs(gitlab.BarePath));
        Assert.Equal(3, ExitCode);
    }

    [Fact]
    public void A_status_file_that_cannot_be_written_fails_that_pair_only_and_the_run_exits_2()
    {
        var (github, _) = _world.AddPair("app");
        var (otherHub, otherLab) = _world.AddPair("other");
        github.Commits(1);
        Assert.Empty(Run("Sync-MirrorPair -All -Path $args[0]").AllErrors);
        // A directory where app's status file goes: renaming the new record onto it fails, even as root.
        var statusFile = Directory.GetFiles(Path.Combine(_world.CachePath, "status"), "app-*.json").Single();
        File.Delete(statusFile);
        Directory.CreateDirectory(statusFile);
        github.Commit("next");
        otherHub.Commits(1);

        var result = Run("Sync-MirrorPair -All -Path $args[0]");

        Assert.Null(result.Terminating);
        var byName = result.Output.ToDictionary(o => Prop(o, "PairName"), o => o);
        Assert.Equal("Failed", Prop(byName["app"], "Status"));
        Assert.Contains("could not record the result", Prop(byName["app"], "Error"));
        Assert.Single((Array)byName["app"].Properties["Updates"].Value); // what was pushed is still reported
        Assert.Equal("Synced", Prop(byName["other"], "Status"));
        Assert.NotEmpty(RepoBuilder.Refs(otherLab.BarePath));
        Assert.Equal(2, ExitCode);
    }

    [Theory]
    [InlineData("ForEach-Object { throw 'downstream stop' }")]
    [InlineData("Select-Object -First 1")]
    public void A_pipeline_stopped_downstream_ends_the_run_and_no_pair_is_recorded_Failed(string downstream)
    {
        foreach (var name in new[] { "a", "b", "c" }) _world.AddPair(name).GitHub.Commits(1);

        var result = Run($"Sync-MirrorPair -All -ThrottleLimit 1 -Path $args[0] | {downstream}");

        Assert.DoesNotContain(result.AllErrors, e => e.ToString().Contains("same thread", StringComparison.Ordinal));
        var statuses = Run("Get-MirrorStatus -Path $args[0]").Output.Select(o => Prop(o, "Status")).ToList();
        Assert.Equal("Synced", statuses[0]);
        Assert.DoesNotContain("Failed", statuses);
        // Nothing keeps running after the command returned: the statuses stay as they are.
        Thread.Sleep(500);
        Assert.Equal(statuses, Run("Get-MirrorStatus -Path $args[0]").Output.Select(o => Prop(o, "Status")));
    }

    [Fact]
    public void Answering_No_at_Confirm_pushes_nothing_and_the_pair_is_not_UpToDate_or_Healthy()
    {
        var (github, gitlab) = _world.AddPair("app");
        github.Commits(1);
        _host.ChoiceAnswer = "No";

        var result = Run("Sync-MirrorPair -Name app -Path $args[0] -Confirm");

        Assert.Single(_host.Prompts);
        Assert.Empty(RepoBuilder.Refs(gitlab.BarePath));
        var sync = Assert.Single(result.Output);
        Assert.Equal("Skipped", Prop(sync, "Status"));
        Assert.Contains("declined", Prop(sync, "Error"));
        var status = Run("Get-MirrorStatus app -Path $args[0]").Output.Single();
        Assert.Equal("False", Prop(status, "Healthy"));
        Assert.Equal("GitHubOnly", Prop(Run("Compare-MirrorRef app -Path $args[0]").Output.Single(), "Status"));
    }

    [Fact]
    public void Results_come_in_config_order_whatever_order_pairs_finish_in()
    {
        var names = new[] { "zeta", "alpha", "mu", "beta", "kappa", "omega" };
        foreach (var name in names) _world.AddPair(name).GitHub.Commits(name == "zeta" ? 30 : 1);

        var synced = Run("Sync-MirrorPair -All -ThrottleLimit 6 -Path $args[0]");
        var compared = Run("Compare-MirrorRef -ThrottleLimit 6 -Path $args[0]");

        Assert.Equal(names, synced.Output.Select(o => Prop(o, "PairName")));
        Assert.Equal(names, compared.Output.Select(o => Prop(o, "PairName")));
        Assert.Equal(names, Run("Get-MirrorStatus -Path $args[0]").Output.Select(o => Prop(o, "PairName")));
    }

    [Fact]
    public void Every_path_parameter_resolves_through_PowerShell_drives()
    {
        var (github, gitlab) = _world.AddPair("app");
        github.Commits(1);
        var script = "$null = New-PSDrive -Name Mirror -PSProvider FileSystem -Root (Split-Path $args[0]); " +
            "Sync-MirrorPair -All -Path Mirror:/repos.yaml -LogPath Mirror:/run.jsonl -MetricsPath Mirror:/gitmirror.prom; " +
            "Get-MirrorPair -Path Mirror:/repos.yaml; Get-MirrorStatus -Path Mirror:/repos.yaml";

        var result = Run(script);

        Assert.Empty(result.AllErrors.Select(e => e.ToString()));
        Assert.Equal("Synced", Prop(result.Output[0], "Status"));
        Assert.NotEmpty(RepoBuilder.Refs(gitlab.BarePath));
        Assert.True(File.Exists(Path.Combine(_world.Root, "run.jsonl")));
        Assert.True(File.Exists(Path.Combine(_world.Root, "gitmirror.prom")));
    }

    [Fact]
    public void A_path_that_is_not_a_file_system_path_is_refused_naming_it()
    {
        _world.AddPair("app");

        var result = Run("Get-MirrorPair -Path Env:/HOME");

        Assert.Equal("MirrorPathInvalid", result.ErrorIds.Single());
        Assert.Contains("Env:/HOME", result.AllErrors.Single().ToString());
        Assert.Contains("not a file system path", result.AllErrors.Single().ToString());
    }

    [Fact]
    public void Remove_MirrorRef_with_a_wildcard_name_says_the_name_as_typed()
    {
        _world.AddPair("app");

        var result = Run("Remove-MirrorRef -Name '*' -Ref main -Path $args[0] -Force");

        Assert.Equal("MirrorPairNotFound", result.ErrorIds.Single());
        Assert.Contains("No pair named '*' in", result.AllErrors.Single().ToString());
    }

    [Fact]
    public void Pairs_piped_from_Get_MirrorPair_work_with_Get_MirrorStatus_and_Remove_MirrorRef()
    {
        var (github, gitlab) = _world.AddPair("app");
        _world.AddPair("other");
        var main = github.Commits(1);
        github.Commit("old", from: main);
        Assert.Empty(Run("Sync-MirrorPair -All -Path $args[0]").AllErrors);

        var status = Run("Get-MirrorPair app -Path $args[0] | Get-MirrorStatus");
        var removed = Run("Get-MirrorPair app -Path $args[0] | Remove-MirrorRef -Ref old -Confirm:$false");

        Assert.Equal(["app"], status.Output.Select(o => Prop(o, "PairName")));
        Assert.Equal("Synced", Prop(status.Output[0], "Status"));
        Assert.Empty(removed.AllErrors);
        Assert.Equal(2, removed.Output.Count);
        Assert.DoesNotContain("refs/heads/old", RepoBuilder.Refs(github.BarePath).Keys);
        Assert.DoesNotContain("refs/heads/old", RepoBuilder.Refs(gitlab.BarePath).Keys);
    }

    [Fact]
    public void Ref_completes_branch_and_tag_names_of_the_named_pair()
    {
        var (github, _) = _world.AddPair("app");
        var main = github.Commits(1);
        github.Commit("feature/login", from: main);
        github.Tag("v1.0", main);
        Assert.Empty(Run("Sync-MirrorPair -All -Path $args[0]").AllErrors);

        string[] Complete(string line) => [.. _ps.Run("(TabExpansion2 -inputScript $args[0] -cursorColumn $args[0].Length).CompletionMatches.CompletionText", line)
            .Output.Select(o => o.ToString())];

        Assert.Equal(["feature/login"], Complete($"Remove-MirrorRef -Path '{_world.ConfigPath}' -Name app -Ref fe"));
        Assert.Equal(["feature/login", "main", "v1.0"], Complete($"Compare-MirrorRef -Path '{_world.ConfigPath}' -Name app -Ref "));
        Assert.Equal(["refs/tags/v1.0"], Complete($"Compare-MirrorRef -Path '{_world.ConfigPath}' -Ref refs/tags/"));
    }
}
