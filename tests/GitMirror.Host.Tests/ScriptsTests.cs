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
        // Comparisons are grouped under their pair; sync results name it on each row.
        Assert.Contains("Pair: acme/widgets", result.Stdout);
        Assert.Equal(5, result.StdoutLines.Count(l => Regex.IsMatch(l, @"^\S+\s+(Branch|Tag)\s+InSync ")));
        Assert.Contains(result.StdoutLines, l => l.StartsWith("acme/widgets ", StringComparison.Ordinal) && l.Contains(" Halted ", StringComparison.Ordinal));
        Assert.Contains(result.StdoutLines, l => Regex.IsMatch(l, @"^main\s+Branch\s+Diverged "));
        Assert.Contains("Sync-MirrorPair: Pair 'acme/widgets': refs/heads/main diverged", result.Stderr);
        var demoRoot = DemoRoot().Match(result.Stdout);
        Assert.True(demoRoot.Success, result.ToString());
        Assert.False(Directory.Exists(demoRoot.Groups[1].Value), "the demo leaves no files behind without -KeepFiles");
    }

    /// <summary>
    /// The README's "in pwsh the same works interactively" snippet, line by line as a person pastes
    /// it (the host has the module loaded already): no token, no network, no placeholder config.
    /// </summary>
    [Fact]
    public void The_readmes_interactive_snippet_runs_on_the_demos_files()
    {
        var readme = File.ReadAllText(Path.Combine(GitMirrorHost.RepoRoot, "README.md"));
        var block = ReadmeSnippet().Match(readme);
        Assert.True(block.Success, "the README's interactive snippet after the quick start");
        var lines = block.Groups[1].Value.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        Assert.Equal("Import-Module ./out/GitMirror", lines[0]);
        var script = Path.Combine(_world.Root, "snippet.ps1");
        // Each line's output is formatted on its own, as at a prompt.
        File.WriteAllLines(script, lines.Skip(1).Select(l => l.Replace("./scripts/demo.ps1", "& " + GitMirrorHost.Quote(GitMirrorHost.ScriptPath("demo.ps1")), StringComparison.Ordinal) + " | Out-Default"));
        var environment = new[] { "GITHUB_TOKEN", "GITLAB_TOKEN" };
        Assert.All(environment, name => Assert.True(string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name)), $"{name} is set in the test's environment"));

        var result = GitMirrorHost.Run(_world.Root, "-File", script);

        Assert.DoesNotContain("is not set", result.Stderr);
        Assert.True(File.Exists(Path.Combine(_world.Root, "demo", "repos.yaml")), result.ToString());
        // The demo leaves main diverged: Compare lists it, and the -WhatIf preview shows the pair halted.
        Assert.Contains(result.StdoutLines, l => Regex.IsMatch(l, @"^main\s+Branch\s+Diverged "));
        Assert.True(2 == result.StdoutLines.Count(l => l.StartsWith("acme/widgets ", StringComparison.Ordinal) && l.Contains(" Halted ", StringComparison.Ordinal)), result.ToString());
    }

    [GeneratedRegex(@"the same works interactively.*?```powershell\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ReadmeSnippet();

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
