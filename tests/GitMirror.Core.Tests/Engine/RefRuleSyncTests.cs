using GitMirror.Core.Apply;
using GitMirror.Core.Config;
using GitMirror.Core.Engine;
using GitMirror.Core.Observe;
using GitMirror.Core.Tests.Report;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.Core.Tests.Engine;

/// <summary>Ref rules end to end over the smart-HTTP server: what is pushed, compared and fetched, and which way.</summary>
public sealed class RefRuleSyncTests : IDisposable
{
    private readonly HttpMirrorWorld _http = new();
    private readonly ListLog _log = new();
    private MirrorWorld World => _http.World;

    public void Dispose() => _http.Dispose();

    /// <summary>Adds the pair "app" and gives the config these top-level rules.</summary>
    private (RepoBuilder GitHub, RepoBuilder GitLab) AddPair(string rules)
    {
        var sides = World.AddPair("app");
        File.AppendAllText(World.ConfigPath, "refs:\n" + rules);
        return sides;
    }

    private MirrorPair Pair() => ConfigLoader.Load(World.ConfigPath).Pairs.Single();

    private Task<SyncOutcome> Sync() => new MirrorEngine(_log).SyncAsync(Pair(), _ => true, CancellationToken.None);

    private async Task<IReadOnlyList<MirrorRefComparison>> Compare() =>
        (await new MirrorEngine(_log).CompareAsync(Pair(), CancellationToken.None)).Comparisons;

    private string CachePath()
    {
        using var cache = MirrorCache.Open(Pair());
        return cache.Path;
    }

    private static bool HasObject(string repository, string sha) => Git.TryRun(repository, "cat-file", "-e", sha).Code == 0;

    [Fact]
    public async Task A_ref_left_out_is_not_pushed_not_compared_and_not_fetched_into_the_cache()
    {
        var (github, gitlab) = AddPair("""
              - match: 'dependabot/**'
                direction: none
              - match: main
                kind: branch
            """ + "\n");
        var main = github.Commits(2);
        var bot = github.Commit("dependabot/npm/lodash", from: main);
        var unmatched = gitlab.Commit("scratch"); // no rule matches: not mirrored either
        var tag = github.Tag("v1", main); // kind: branch only

        var outcome = await Sync();

        Assert.True(outcome.Result.Status == MirrorSyncStatus.Synced, outcome.Result.Error);
        Assert.Equal(main, gitlab.TipOrNull("main"));
        Assert.Null(gitlab.TipOrNull("dependabot/npm/lodash"));
        Assert.Null(github.TipOrNull("scratch"));
        Assert.DoesNotContain("refs/tags/v1", RepoBuilder.Refs(gitlab.BarePath).Keys);
        Assert.Equal(["refs/heads/main"], outcome.Result.Updates.Select(u => u.Ref));

        Assert.Equal(["refs/heads/main"], (await Compare()).Select(c => c.Ref));

        var cache = CachePath();
        Assert.All(RepoBuilder.Refs(cache).Keys.Where(k => k.StartsWith("refs/mirror/", StringComparison.Ordinal)),
            k => Assert.EndsWith("/heads/main", k));
        Assert.True(HasObject(cache, main));
        Assert.False(HasObject(cache, bot), "the left-out branch's commit was fetched into the cache");
        Assert.False(HasObject(cache, unmatched), "the unmatched branch's commit was fetched into the cache");
        Assert.Contains(_log.VerboseLines, l => l.Contains("3 refs left out by the ref rules", StringComparison.Ordinal));

        // A second run stays quiet: nothing to push, nothing left out is compared.
        Assert.Equal(MirrorSyncStatus.UpToDate, (await Sync()).Result.Status);

        // Remove-MirrorRef does not touch it either, and says why.
        var refused = await Assert.ThrowsAsync<RefChangeException>(() =>
            new RefRemover(_log).RemoveAsync(Pair(), "dependabot/npm/lodash", _ => true, CancellationToken.None));
        Assert.Equal(RefChangeFailure.NotFound, refused.Failure);
        Assert.Contains("refs/heads/dependabot/npm/lodash is left out by the pair's ref rules", refused.Message);
        Assert.Equal(bot, github.TipOrNull("dependabot/npm/lodash"));
    }

    [Fact]
    public async Task A_rule_added_later_makes_the_cache_forget_the_refs_it_leaves_out()
    {
        var (github, _) = World.AddPair("app");
        var main = github.Commits(1);
        github.Commit("renovate/x", from: main);
        Assert.Equal(MirrorSyncStatus.Synced, (await Sync()).Result.Status);
        Assert.Contains("refs/mirror/github/heads/renovate/x", RepoBuilder.Refs(CachePath()).Keys);

        File.AppendAllText(World.ConfigPath, "refs:\n  - match: 'renovate/**'\n    direction: none\n  - match: '**'\n");
        Assert.Equal(MirrorSyncStatus.UpToDate, (await Sync()).Result.Status);

        Assert.DoesNotContain(RepoBuilder.Refs(CachePath()).Keys, k => k.Contains("renovate", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_one_way_branch_is_created_and_fast_forwarded_on_the_target_and_never_pushed_back()
    {
        var (github, gitlab) = AddPair("""
              - match: 'release/**'
                kind: branch
                direction: github-to-gitlab
              - match: '**'
            """ + "\n");
        var main = github.Commits(1);
        var release = github.Commit("release/1.0", from: main);
        var gitlabOnly = gitlab.Commit("release/gitlab-only");

        var first = await Sync();

        Assert.True(first.Result.Status == MirrorSyncStatus.Synced, first.Result.Error);
        Assert.Equal(release, gitlab.TipOrNull("release/1.0"));
        Assert.Null(github.TipOrNull("release/gitlab-only"));
        var compared = (await Compare()).ToDictionary(c => c.Ref);
        Assert.Equal((MirrorRefStatus.GitLabOnly, MirrorDirection.GitHubToGitLab),
            (compared["refs/heads/release/gitlab-only"].Status, compared["refs/heads/release/gitlab-only"].Direction));
        Assert.Equal((MirrorRefStatus.InSync, MirrorDirection.Both), (compared["refs/heads/main"].Status, compared["refs/heads/main"].Direction));

        // Fast-forwarded on the target.
        var newer = github.Commit("release/1.0");
        Assert.Equal(MirrorSyncStatus.Synced, (await Sync()).Result.Status);
        Assert.Equal(newer, gitlab.TipOrNull("release/1.0"));

        // Someone commits on the receiving side: it is ahead there, never pushed back, and the sync warns.
        var onGitLab = gitlab.Commit("release/1.0");
        var held = await Sync();
        Assert.Equal(MirrorSyncStatus.UpToDate, held.Result.Status);
        Assert.Empty(held.Result.Updates);
        Assert.Equal(newer, github.TipOrNull("release/1.0"));
        var warning = Assert.Single(_log.Warnings);
        Assert.Contains("refs/heads/release/1.0 is ahead on GitLab", warning);
        Assert.Contains("not pushed back", warning);
        Assert.Equal(MirrorRefStatus.GitLabAhead, (await Compare()).Single(c => c.Name == "release/1.0").Status);

        // Then the source moves too: both moved is Diverged, and halt-pair halts the pair.
        github.Commit("release/1.0");
        github.Commit("main");
        var diverged = await Sync();
        Assert.Equal(MirrorSyncStatus.Halted, diverged.Result.Status);
        Assert.Equal(["refs/heads/release/1.0"], diverged.Result.DivergedRefs);
        Assert.Equal(onGitLab, gitlab.TipOrNull("release/1.0"));
        Assert.Equal(main, gitlab.TipOrNull("main"));
    }

    [Fact]
    public async Task Tags_only_from_github_while_branches_go_both_ways()
    {
        var (github, gitlab) = AddPair("""
              - match: '**'
                kind: tag
                direction: github-to-gitlab
              - match: '**'
                kind: branch
            """ + "\n");
        var main = github.Commits(1);
        var v1 = github.Tag("v1.0", main, "release 1.0");
        var feature = gitlab.Commit("feature/x");
        var gitlabTag = gitlab.Tag("gitlab-tag", feature);

        var outcome = await Sync();

        Assert.True(outcome.Result.Status == MirrorSyncStatus.Synced, outcome.Result.Error);
        Assert.Equal(v1, RepoBuilder.Refs(gitlab.BarePath)["refs/tags/v1.0"]);
        Assert.Equal(feature, github.TipOrNull("feature/x"));
        Assert.DoesNotContain("refs/tags/gitlab-tag", RepoBuilder.Refs(github.BarePath).Keys);
        var tag = (await Compare()).Single(c => c.Ref == "refs/tags/gitlab-tag");
        Assert.Equal((MirrorRefStatus.GitLabOnly, MirrorDirection.GitHubToGitLab), (tag.Status, tag.Direction));
        Assert.Equal(gitlabTag, tag.GitLabSha);
        Assert.Equal(MirrorSyncStatus.UpToDate, (await Sync()).Result.Status);
    }

    [Fact]
    public async Task A_pairs_own_rules_replace_the_top_level_ones()
    {
        var (github, gitlab) = World.AddPair("app");
        File.WriteAllText(World.ConfigPath, File.ReadAllText(World.ConfigPath)
            + "    refs:\n      - match: main\n        direction: gitlab-to-github\n"
            + "refs:\n  - match: '**'\n");
        var main = github.Commits(1);
        var other = github.Commit("other", from: main);

        var outcome = await Sync();

        Assert.Equal(MirrorSyncStatus.UpToDate, outcome.Result.Status);
        Assert.Null(gitlab.TipOrNull("main"));
        Assert.Null(gitlab.TipOrNull("other"));
        var compared = Assert.Single(await Compare());
        Assert.Equal(("refs/heads/main", MirrorRefStatus.GitHubOnly, MirrorDirection.GitLabToGitHub), (compared.Ref, compared.Status, compared.Direction));
        Assert.False(HasObject(CachePath(), other));
    }

    [Fact]
    public async Task Repair_honours_prefer_against_a_one_way_rule()
    {
        var (github, gitlab) = AddPair("""
              - match: 'release/**'
                direction: github-to-gitlab
              - match: '**'
            """ + "\n");
        var shared = github.Commit("release/2");
        Assert.Equal(MirrorSyncStatus.Synced, (await Sync()).Result.Status);
        github.Commit("release/2");
        var gitlabTip = gitlab.Commit("release/2", from: shared);
        var seen = (await Compare()).Single(c => c.Name == "release/2");
        Assert.Equal((MirrorRefStatus.Diverged, MirrorDirection.GitHubToGitLab), (seen.Status, seen.Direction));

        // The rule sends release/2 from GitHub only; a person chose GitLab's commits all the same.
        var outcome = Assert.Single(await new DivergenceRepairer(_log).RepairAsync(Pair(), [RepairRequest.From(seen)], MirrorSide.GitLab, _ => true, CancellationToken.None));

        Assert.True(outcome.Result?.Succeeded, outcome.Error?.Message ?? outcome.Result?.Message);
        Assert.Equal(gitlabTip, github.TipOrNull("release/2"));
        Assert.Equal(MirrorRefStatus.InSync, (await Compare()).Single(c => c.Name == "release/2").Status);
    }
}
