using GitMirror.Core.Config;
using GitMirror.Core.Engine;
using GitMirror.Core.Report;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.Core.Tests.Engine;

public sealed class SyncRunTests : IDisposable
{
    private readonly HttpMirrorWorld _http = new();

    public void Dispose() => _http.Dispose();

    [Fact]
    public async Task After_three_refused_tokens_the_rest_of_the_host_fails_without_trying_and_says_so_once()
    {
        for (var i = 0; i < 6; i++) _http.World.AddPair($"p{i}");
        Environment.SetEnvironmentVariable(_http.World.GitLabTokenEnv, "glpat-wrong-token");
        var pairs = ConfigLoader.Load(_http.World.ConfigPath).Pairs;
        var run = new SyncRun(pairs, new SyncRunOptions(), NullMirrorLog.Instance);

        var outcomes = new List<SyncOutcome>();
        foreach (var pair in pairs) outcomes.Add(await run.SyncAsync(pair, _ => true, CancellationToken.None));

        Assert.Equal(3, _http.Server.AuthFailures);
        Assert.All(outcomes, o => Assert.Equal(MirrorSyncStatus.Failed, o.Result.Status));
        Assert.Equal([false, false, false, true, true, true], outcomes.Select(o => o.CircuitOpen));
        Assert.Equal([false, false, false, false, true, true], outcomes.Select(o => o.ErrorAlreadyReported));
        Assert.Contains("avoid an IP ban", outcomes[3].Result.Error);
        // The status store must not call a pair that never synced healthy.
        var status = new StatusStore(pairs[5].CachePath).Read(pairs[5].Name);
        Assert.Equal((MirrorSyncStatus?)MirrorSyncStatus.Failed, status.Status);
        Assert.False(status.Healthy);
    }
}
