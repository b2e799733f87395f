using GitMirror.Core.Apply;
using GitMirror.Core.Config;
using GitMirror.Core.Engine;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.Core.Tests.Apply;

/// <summary>Removals against the smart-HTTP server (the deletion's lease), checked with the git CLI.</summary>
public sealed class RefRemoverTests : IDisposable
{
    private readonly HttpMirrorWorld _http = new();
    private MirrorWorld World => _http.World;

    public void Dispose() => _http.Dispose();

    private MirrorPair Pair() => ConfigLoader.Load(World.ConfigPath).Pairs.Single();

    private static Task<RemoveOutcome> Remove(MirrorPair pair, string refName, Func<MirrorRefComparison, bool>? approve = null) =>
        new RefRemover(NullMirrorLog.Instance).RemoveAsync(pair, refName, approve ?? (_ => true), CancellationToken.None);

    /// <summary>A synced pair with main, a branch "leak" and a tag v1 on both sides.</summary>
    private async Task<(RepoBuilder GitHub, RepoBuilder GitLab, string Leak)> SyncedPair()
    {
        var (github, gitlab) = World.AddPair("app");
        var main = github.Commits(1);
        var leak = github.Commit("leak", from: main);
        github.Tag("v1", main, "one");
        Assert.Equal(MirrorSyncStatus.Synced, (await new MirrorEngine(NullMirrorLog.Instance).SyncAsync(Pair(), _ => true, CancellationToken.None)).Result.Status);
        return (github, gitlab, leak);
    }

    [Fact]
    public async Task Deletes_the_ref_on_both_sides_and_a_sync_does_not_bring_it_back()
    {
        var (github, gitlab, leak) = await SyncedPair();

        var outcome = await Remove(Pair(), "leak");

        Assert.Null(outcome.Error);
        Assert.Equal([(MirrorSide.GitHub, leak, (string?)null, true), (MirrorSide.GitLab, leak, null, true)],
            outcome.Updates.Select(u => (u.Target, u.OldSha, u.NewSha, u.Succeeded)));
        Assert.All(outcome.Updates, u => Assert.Equal("refs/heads/leak", u.Ref));
        Assert.DoesNotContain("refs/heads/leak", RepoBuilder.Refs(github.BarePath).Keys);
        Assert.DoesNotContain("refs/heads/leak", RepoBuilder.Refs(gitlab.BarePath).Keys);
        var sync = await new MirrorEngine(NullMirrorLog.Instance).SyncAsync(Pair(), _ => true, CancellationToken.None);
        Assert.Equal(MirrorSyncStatus.UpToDate, sync.Result.Status);
    }

    [Fact]
    public async Task Deletes_an_annotated_tag_by_full_name()
    {
        var (github, gitlab, _) = await SyncedPair();

        var outcome = await Remove(Pair(), "refs/tags/v1");

        Assert.Equal(2, outcome.Updates.Count(u => u.Succeeded));
        Assert.DoesNotContain("refs/tags/v1", RepoBuilder.Refs(github.BarePath).Keys);
        Assert.DoesNotContain("refs/tags/v1", RepoBuilder.Refs(gitlab.BarePath).Keys);
    }

    [Fact]
    public async Task Declined_deletes_nothing()
    {
        var (github, gitlab, _) = await SyncedPair();
        var (githubBefore, gitlabBefore) = (RepoBuilder.Refs(github.BarePath), RepoBuilder.Refs(gitlab.BarePath));

        var outcome = await Remove(Pair(), "leak", _ => false);

        Assert.True(outcome.Declined);
        Assert.Equal(githubBefore, RepoBuilder.Refs(github.BarePath));
        Assert.Equal(gitlabBefore, RepoBuilder.Refs(gitlab.BarePath));
    }

    [Fact]
    public async Task A_ref_pushed_to_while_being_removed_is_kept_on_both_sides()
    {
        var (github, gitlab, leak) = await SyncedPair();
        var fix = github.Commit("other", from: leak);
        _http.Server.Intercept = context =>
        {
            // Someone pushes to GitHub's copy just before the deletion is negotiated.
            if (context.Request.Path.Value!.Contains("/github/") && context.Request.Query["service"] == "git-receive-pack")
            {
                RepoBuilder.SetRef(github.BarePath, "refs/heads/leak", fix);
            }
            return Task.FromResult(false);
        };

        var outcome = await Remove(Pair(), "refs/heads/leak");

        Assert.Equal(RefChangeFailure.Moved, outcome.Error!.Failure);
        Assert.False(Assert.Single(outcome.Updates).Succeeded);
        Assert.Equal(fix, RepoBuilder.Refs(github.BarePath)["refs/heads/leak"]);
        Assert.Equal(leak, RepoBuilder.Refs(gitlab.BarePath)["refs/heads/leak"]);
    }

    [Fact]
    public async Task A_ref_on_one_side_only_is_deleted_there()
    {
        var (_, gitlab, _) = await SyncedPair();
        var only = gitlab.Commit("gitlab-only");

        var outcome = await Remove(Pair(), "gitlab-only");

        var update = Assert.Single(outcome.Updates);
        Assert.Equal((MirrorSide.GitLab, only, true), (update.Target, update.OldSha, update.Succeeded));
        Assert.DoesNotContain("refs/heads/gitlab-only", RepoBuilder.Refs(gitlab.BarePath).Keys);
    }

    [Fact]
    public async Task A_ref_on_neither_side_is_not_found_and_a_name_both_a_branch_and_a_tag_is_ambiguous()
    {
        var (github, _, leak) = await SyncedPair();
        github.Tag("leak", leak);

        var missing = await Assert.ThrowsAsync<RefChangeException>(() => Remove(Pair(), "refs/heads/nope"));
        var ambiguous = await Assert.ThrowsAsync<RefChangeException>(() => Remove(Pair(), "leak"));

        Assert.Equal(RefChangeFailure.NotFound, missing.Failure);
        Assert.Equal(RefChangeFailure.Ambiguous, ambiguous.Failure);
        Assert.Contains("refs/heads/leak or refs/tags/leak", ambiguous.Message);
    }
}
