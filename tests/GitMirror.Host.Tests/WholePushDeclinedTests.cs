using GitMirror.Testing;
using Xunit;

namespace GitMirror.Host.Tests;

/// <summary>
/// GitLab checks protected branches (and GitHub its pre-receive rules) in a pre-receive hook, and a
/// pre-receive hook that refuses declines every ref of the push with the same reason. One ref the bot
/// may not push must still not hold back the others (README "Sync semantics").
/// </summary>
public sealed class WholePushDeclinedTests : IDisposable
{
    private readonly MirrorWorld _world = new();

    public void Dispose() => _world.Dispose();

    [UnixFact]
    public void A_pre_receive_hook_refusing_one_ref_declines_only_that_ref()
    {
        var (github, gitlab) = _world.AddPair("app");
        github.Commits(2);
        github.Commit("feature");
        github.Commit("protected");
        _world.WriteConfig();
        HttpMirrorWorld.InstallHook(gitlab.BarePath, "pre-receive", """
            #!/bin/sh
            while read old new ref; do
              if [ "$ref" = refs/heads/protected ]; then echo "GitLab: You are not allowed to push code to protected branches on this project." >&2; exit 1; fi
            done
            exit 0
            """.Replace("\r", "", StringComparison.Ordinal));

        var result = GitMirrorHost.Run(_world.Root, "Sync-MirrorPair", "-All", "-Path", GitMirrorHost.Quote(_world.ConfigPath));

        Assert.True(result.ExitCode == 2, result.ToString());
        var onGitLab = RepoBuilder.Refs(gitlab.BarePath);
        Assert.Equal(github.TipOrNull("main"), onGitLab.GetValueOrDefault("refs/heads/main"));
        Assert.Equal(github.TipOrNull("feature"), onGitLab.GetValueOrDefault("refs/heads/feature"));
        Assert.False(onGitLab.ContainsKey("refs/heads/protected"), result.ToString());
        Assert.Contains("refs/heads/protected", result.Stderr);
        Assert.Contains(" Failed ", Assert.Single(result.StdoutLines, l => l.StartsWith("app ", StringComparison.Ordinal)));
    }
}
