using GitMirror.Host.Tests;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.Proof.Tests;

/// <summary>A Conflict as a user meets it in the `gitmirror` host: Compare, Sync's error record, Repair, Sync again.</summary>
public sealed class ConflictHostTests : IDisposable
{
    private readonly HttpMirrorWorld _http = new();

    public void Dispose() => _http.Dispose();

    [Fact]
    public void X_against_x_y_is_compared_as_Conflict_halts_with_MirrorRefDiverged_and_Repair_resolves_it()
    {
        var world = _http.World;
        var (github, gitlab) = world.AddPair("app");
        var main = github.Commits(1);
        Git.Run(gitlab.BarePath, "fetch", "--quiet", github.BarePath, "+refs/heads/main:refs/heads/main");
        github.Commit("x", from: main);
        gitlab.Commit("x/y", from: main);
        var script = Path.Combine(world.Root, "conflict.ps1");
        File.WriteAllText(script, """
            param($Path)
            $c = Compare-MirrorRef -Path $Path | Where-Object Diverged
            $c | ForEach-Object { "CMP $($_.Name) $($_.Status) $($_.Diverged) $($_.ConflictsWith -join ',')" }
            $r = Sync-MirrorPair -All -Path $Path -ErrorVariable errs -ErrorAction SilentlyContinue
            "SYNC $($r.Status) $($r.DivergedRefs -join ',') $GitMirrorSyncExitCode"
            $errs | ForEach-Object { "ERR $($_.FullyQualifiedErrorId.Split(',')[0]) $($_.Exception.Message)" }
            $c | Where-Object Name -eq 'x' | Repair-MirrorDivergence -Prefer GitLab -Force | ForEach-Object { "REP $($_.Ref) $($_.Succeeded) $($_.NewSha -eq $null) $($_.BackupRef)" }
            $r2 = Sync-MirrorPair -All -Path $Path
            "SYNC2 $($r2.Status) $($r2.DivergedRefs.Count)"
            exit $GitMirrorSyncExitCode
            """);

        var result = GitMirrorHost.Run(world.Root, "-File", script, world.ConfigPath);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("CMP x Conflict True refs/heads/x/y", result.Stdout);
        Assert.Contains("CMP x/y Conflict True refs/heads/x", result.Stdout);
        Assert.Contains("SYNC Halted refs/heads/x,refs/heads/x/y 1", result.Stdout);
        Assert.Contains("ERR MirrorRefDiverged Pair 'app': refs/heads/x conflicts (only on GitHub; GitLab has refs/heads/x/y in its way", result.Stdout);
        Assert.Contains("REP refs/heads/x True True refs/heads/gitmirror/backup/", result.Stdout);
        Assert.Contains("SYNC2 Synced 0", result.Stdout);
        Assert.Equal(RepoBuilder.Refs(github.BarePath).OrderBy(r => r.Key), RepoBuilder.Refs(gitlab.BarePath).OrderBy(r => r.Key));
        Assert.False(RepoBuilder.Refs(github.BarePath).ContainsKey("refs/heads/x"));
    }
}
