using GitMirror.Testing;

namespace GitMirror.Host.Tests;

/// <summary>The situations a sync can meet, each with the exit code design.md §6 gives it.</summary>
public enum WorldState
{
    Syncable,
    Diverged,
    PairFails,
    BadConfig,
}

public static class WorldStates
{
    public static int ExpectedExitCode(WorldState state) => state switch
    {
        WorldState.Syncable => 0,
        WorldState.Diverged => 1,
        WorldState.PairFails => 2,
        WorldState.BadConfig => 3,
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    /// <summary>Sets up one pair named "app" in <paramref name="state"/>; returns its two bare repositories.</summary>
    public static (string GitHub, string GitLab) Arrange(MirrorWorld world, WorldState state)
    {
        var (github, gitlab) = world.AddPair("app");
        github.Commits(2);
        github.Commit("feature");
        switch (state)
        {
            case WorldState.Diverged:
                gitlab.Commits(1); // unrelated history on the same branch: neither side is an ancestor
                break;
            case WorldState.PairFails:
                Directory.Delete(gitlab.BarePath, recursive: true);
                break;
            case WorldState.BadConfig:
                File.AppendAllText(world.ConfigPath, "colour: blue\n");
                break;
        }
        return (github.BarePath, gitlab.BarePath);
    }
}
