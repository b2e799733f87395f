using System.Management.Automation;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.PowerShell.Tests;

/// <summary>Ref rules as a user meets them: Compare-MirrorRef's listing and Direction, the sync's warning, a bad rule.</summary>
public sealed class RefRulesCmdletTests : IDisposable
{
    private readonly MirrorWorld _world = new();
    private readonly PowerShellSession _ps;

    public RefRulesCmdletTests()
    {
        _ps = new PowerShellSession(_world.Root);
    }

    public void Dispose()
    {
        _ps.Dispose();
        _world.Dispose();
    }

    private static string Prop(PSObject o, string name) => o.Properties[name].Value?.ToString() ?? "";

    [Fact]
    public void Compare_lists_only_the_mirrored_refs_with_their_direction_and_sync_warns_about_a_receiving_side_ahead()
    {
        var (github, gitlab) = _world.AddPair("app");
        File.AppendAllText(_world.ConfigPath,
            "refs:\n  - match: 'dependabot/**'\n    direction: none\n  - match: 'release/**'\n    kind: branch\n    direction: github-to-gitlab\n  - match: '**'\n");
        var main = github.Commits(1);
        github.Commit("dependabot/npm/x", from: main);
        github.Commit("release/1", from: main);
        Assert.Empty(_ps.Run("Sync-MirrorPair -All -Path $args[0]", _world.ConfigPath).AllErrors);
        gitlab.Commit("release/1");

        var compare = _ps.Run("Compare-MirrorRef -Path $args[0] | Sort-Object Ref", _world.ConfigPath);

        Assert.Empty(compare.AllErrors);
        Assert.Equal(["main InSync Both", "release/1 GitLabAhead GitHubToGitLab"],
            compare.Output.Select(o => $"{Prop(o, "Name")} {Prop(o, "Status")} {Prop(o, "Direction")}"));
        Assert.Equal(1, _ps.Run("(Compare-MirrorRef -Path $args[0] | Where-Object Direction -eq 'GitHubToGitLab').Count", _world.ConfigPath).Output[0].BaseObject);

        var sync = _ps.Run("Sync-MirrorPair -All -Path $args[0]", _world.ConfigPath);
        Assert.Empty(sync.AllErrors);
        Assert.Equal("UpToDate", Prop(Assert.Single(sync.Output), "Status"));
        Assert.Contains(sync.Warnings, w => w.Contains("refs/heads/release/1 is ahead on GitLab", StringComparison.Ordinal) && w.Contains("not pushed back", StringComparison.Ordinal));
        Assert.Null(gitlab.TipOrNull("dependabot/npm/x"));
    }

    [Fact]
    public void A_bad_rule_stops_the_command_naming_file_line_and_key()
    {
        _world.AddPair("app");
        File.AppendAllText(_world.ConfigPath, "refs:\n  - match: main\n    direction: sideways\n");

        var result = _ps.Run("Compare-MirrorRef -Path $args[0]", _world.ConfigPath);

        Assert.Equal("MirrorConfigInvalid", Assert.Single(result.ErrorIds));
        Assert.Contains("repos.yaml:", result.AllErrors.Single().ToString());
        Assert.Contains("refs[0].direction: 'sideways' is not a direction", result.AllErrors.Single().ToString());
        Assert.Empty(result.Output);
    }
}
