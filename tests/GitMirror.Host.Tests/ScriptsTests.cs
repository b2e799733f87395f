using System.Text.RegularExpressions;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.Host.Tests;

/// <summary>The repository's scripts/ as users run them: through the host.</summary>
public sealed partial class ScriptsTests : IDisposable
{
    private readonly MirrorWorld _world = new();

    public void Dispose() => _world.Dispose();

    [Fact]
    public void The_demo_runs_end_to_end_shows_in_sync_refs_then_a_halted_pair_and_exits_1()
    {
        var result = GitMirrorHost.Run(_world.Root, "-File", GitMirrorHost.ScriptPath("demo.ps1"));

        Assert.True(result.ExitCode == 1, result.ToString());
        var refRows = result.StdoutLines.Where(l => l.StartsWith("acme/widgets ", StringComparison.Ordinal)).ToList();
        Assert.Equal(5, refRows.Count(l => l.Contains(" InSync ", StringComparison.Ordinal)));
        Assert.Contains(refRows, l => l.Contains(" Halted ", StringComparison.Ordinal));
        Assert.Contains(refRows, l => l.Contains(" Diverged ", StringComparison.Ordinal));
        Assert.Contains("Sync-MirrorPair: Pair 'acme/widgets': refs/heads/main diverged", result.Stderr);
        var demoRoot = DemoRoot().Match(result.Stdout);
        Assert.True(demoRoot.Success, result.ToString());
        Assert.False(Directory.Exists(demoRoot.Groups[1].Value), "the demo leaves no files behind without -KeepFiles");
    }

    [Theory]
    [InlineData(WorldState.Syncable)]
    [InlineData(WorldState.Diverged)]
    [InlineData(WorldState.PairFails)]
    [InlineData(WorldState.BadConfig)]
    public void The_scheduled_run_script_exits_with_the_sync_runs_code(WorldState state)
    {
        var (github, gitlab) = WorldStates.Arrange(_world, state);

        var result = GitMirrorHost.Run(_world.Root, "-File", GitMirrorHost.ScriptPath("Invoke-GitMirrorSync.ps1"), "-Path", _world.ConfigPath);

        Assert.True(result.ExitCode == WorldStates.ExpectedExitCode(state), result.ToString());
        if (state != WorldState.PairFails) // that side is gone
        {
            Assert.Equal(state == WorldState.Syncable, RepoBuilder.Refs(github).SequenceEqual(RepoBuilder.Refs(gitlab)));
        }
    }

    [GeneratedRegex(@"Two local 'forges' in (\S+)")]
    private static partial Regex DemoRoot();
}
