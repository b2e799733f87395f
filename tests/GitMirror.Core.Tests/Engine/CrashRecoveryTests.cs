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
    private const string Token = "crash-test-token-123";
    private readonly MirrorWorld _world = new();
    private readonly GitHttpServer _server;

    public CrashRecoveryTests()
    {
        _server = GitHttpServer.Start(_world.Root);
        _server.AcceptedTokens.Add(Token);
        _world.GitHubTokenEnv = "GM_CRASH_GH_" + Guid.NewGuid().ToString("N");
        _world.GitLabTokenEnv = "GM_CRASH_GL_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(_world.GitHubTokenEnv, Token);
        Environment.SetEnvironmentVariable(_world.GitLabTokenEnv, Token);
        _world.GitHubUrl = _server.BaseUrl + "/github";
        _world.GitLabUrl = _server.BaseUrl + "/gitlab";
    }

    public void Dispose()
    {
        _server.Dispose();
        _world.Dispose();
    }

    [Theory]
    [InlineData("git-upload-pack", 2)]  // during the fetch into the cache (the first POST is ls-refs)
    [InlineData("git-receive-pack", 1)] // during the push
    public async Task A_sync_killed_mid_way_leaves_nothing_that_stops_the_next_run_converging(string service, int nthPost)
    {
        var (github, gitlab) = _world.AddPair("app");
        var main = github.Commits(5);
        github.Tag("v1", main, "annotated");
        github.Commit("dev");

        var posts = 0;
        var parked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.Intercept = async context =>
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
        _server.Intercept = null;

        var pair = ConfigLoader.Load(_world.ConfigPath).Pairs.Single();
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
        psi.ArgumentList.Add(_world.ConfigPath);
        psi.Environment[_world.GitHubTokenEnv] = Token;
        psi.Environment[_world.GitLabTokenEnv] = Token;
        return Process.Start(psi)!;
    }
}
