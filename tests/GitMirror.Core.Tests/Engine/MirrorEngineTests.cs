using GitMirror.Core.Config;
using GitMirror.Core.Engine;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.Core.Tests.Engine;

public sealed class MirrorEngineTests : IDisposable
{
    private readonly MirrorWorld _world = new();

    public void Dispose() => _world.Dispose();

    private MirrorPair Pair(string name) => ConfigLoader.Load(_world.ConfigPath).Pairs.Single(p => p.Name == name);

    [Fact]
    public async Task Annotated_tags_arrive_as_the_same_tag_object()
    {
        var (github, gitlab) = _world.AddPair("app");
        var main = github.Commits(2);
        var tag = github.Tag("v2", main, "release two");

        var outcome = await new MirrorEngine(NullMirrorLog.Instance).SyncAsync(Pair("app"), _ => true, CancellationToken.None);

        if (outcome.Failure is not null) Assert.Fail(outcome.Failure.ToString());
        Assert.Equal(MirrorSyncStatus.Synced, outcome.Result.Status);
        Assert.Equal(tag, Git.Run(gitlab.BarePath, "rev-parse", "refs/tags/v2"));
    }
}
