using System.Diagnostics;
using GitMirror.Core.Config;
using GitMirror.Core.Engine;
using GitMirror.Core.Report;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.Core.Tests.Engine;

/// <summary>A sync process killed with SIGKILL at the worst moments; the next run must converge.</summary>
public sealed class CrashRecoveryTests : IDisposable
{
    private readonly HttpMirrorWorld _http = new();
    private MirrorWorld World => _http.World;
    private GitHttpServer Server => _http.Server;

    public void Dispose() => _http.Dispose();

    [Theory]
    [InlineData("git-upload-pack", 2)]  // during the fetch into the cache (the first POST is ls-refs)
    [InlineData("git-receive-pack", 1)] // during the push
    public async Task A_sync_killed_mid_way_leaves_nothing_that_stops_the_next_run_converging(string service, int nthPost)
    {
        var (github, gitlab) = World.AddPair("app");
        var main = github.Commits(5);
        github.Tag("v1", main, "annotated");
        github.Commit("dev");

        var posts = 0;
        var parked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Server.Intercept = async context =>
        {
            if (context.Request.Method != "POST" || !context.Request.Path.Value!.EndsWith(service, StringComparison.Ordinal)) return false;
            if (!context.Request.Path.Value.Contains("/github/") && service == "git-upload-pack") return false;
            if (Interlocked.Increment(ref posts) != nthPost) return false;
            parked.TrySetResult();
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { });
            return true;
        };

        using (var child = StartSyncProcess())
        {
            var reached = await Task.WhenAny(parked.Task, Task.Delay(TimeSpan.FromSeconds(60)));
            if (reached != parked.Task)
            {
                child.Kill();
                Assert.Fail("the child never reached " + service + ": " + child.StandardError.ReadToEnd());
            }
            child.Kill(); // SIGKILL: no finally blocks, no lock release but the OS's
            await child.WaitForExitAsync();
        }
        Server.Intercept = null;

        var pair = ConfigLoader.Load(World.ConfigPath).Pairs.Single();
        var rerun = await new SyncRun([pair], new SyncRunOptions(), NullMirrorLog.Instance)
            .SyncAsync(pair, _ => true, CancellationToken.None);

        Assert.True(rerun.Result.Status is MirrorSyncStatus.Synced or MirrorSyncStatus.UpToDate, rerun.Result.Error);
        Assert.Equal(RepoBuilder.Refs(github.BarePath).OrderBy(r => r.Key), RepoBuilder.Refs(gitlab.BarePath).OrderBy(r => r.Key));
        Assert.Equal(Git.Run(github.BarePath, "rev-parse", "refs/tags/v1"), Git.Run(gitlab.BarePath, "rev-parse", "refs/tags/v1"));
        Assert.Equal(rerun.Result.Status, new StatusStore(pair.CachePath).Read("app").Status);
        var again = await new MirrorEngine(NullMirrorLog.Instance).SyncAsync(pair, _ => true, CancellationToken.None);
        Assert.Equal(MirrorSyncStatus.UpToDate, again.Result.Status);
    }

    private Process StartSyncProcess()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "GitMirror.LockHolder.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("sync");
        psi.ArgumentList.Add(World.ConfigPath);
        psi.Environment[World.GitHubTokenEnv] = _http.GitHubToken;
        psi.Environment[World.GitLabTokenEnv] = _http.GitLabToken;
        return Process.Start(psi)!;
    }
}
