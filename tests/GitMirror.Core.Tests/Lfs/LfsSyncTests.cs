using GitMirror.Core.Config;
using GitMirror.Core.Engine;
using GitMirror.Core.Tests.Report;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.Core.Tests.Lfs;

/// <summary>
/// LFS objects mirrored with the refs, against a local LFS server (batch API, basic transfer) on the
/// smart-HTTP git server's origin, and optionally a second origin standing in for object storage.
/// </summary>
public sealed class LfsSyncTests : IDisposable
{
    private readonly HttpMirrorWorld _http = new();
    private readonly LfsServer _lfs;
    private readonly ListLog _log = new();

    public LfsSyncTests()
    {
        _lfs = LfsServer.Attach(_http.Server, _http.World.Root);
    }

    public void Dispose()
    {
        _lfs.Dispose();
        _http.Dispose();
    }

    private MirrorWorld World => _http.World;

    private MirrorPair Pair(string name) => ConfigLoader.Load(World.ConfigPath).Pairs.Single(p => p.Name == name);

    private Task<SyncOutcome> Sync(string name) => new MirrorEngine(_log).SyncAsync(Pair(name), _ => true, CancellationToken.None);

    /// <summary>Commits an LFS file to <paramref name="branch"/>; its object goes to the side's store only when <paramref name="storeObject"/>.</summary>
    private static (string Commit, string Oid) CommitLfsFile(RepoBuilder side, string branch, string path, int size = 3000, bool storeObject = true)
    {
        var (content, oid) = LfsFiles.NewObject(size);
        if (storeObject) LfsFiles.Store(side.BarePath, content, oid);
        var commit = LfsFiles.Commit(side.BarePath, branch, new Dictionary<string, string> { [path] = LfsFiles.Pointer(oid, size) });
        return (commit, oid);
    }

    private void AssertNoCanary(string? text)
    {
        if (text is null) return;
        Assert.DoesNotContain(_http.GitHubToken, text);
        Assert.DoesNotContain(_http.GitLabToken, text);
    }

    [Fact]
    public async Task Objects_are_mirrored_both_ways_before_the_refs_move()
    {
        var (github, gitlab) = World.AddPair("app");
        var (mainCommit, mainOid) = CommitLfsFile(github, "main", "assets/logo.bin");
        var (featureCommit, featureOid) = CommitLfsFile(gitlab, "feature", "data/model.bin", size: 200_000);

        var outcome = await Sync("app");

        Assert.Equal(MirrorSyncStatus.Synced, outcome.Result.Status);
        Assert.All(outcome.Result.Updates, u => Assert.True(u.Succeeded, u.Message));
        Assert.Equal(mainCommit, RepoBuilder.Refs(gitlab.BarePath)["refs/heads/main"]);
        Assert.Equal(featureCommit, RepoBuilder.Refs(github.BarePath)["refs/heads/feature"]);
        Assert.Equal(File.ReadAllBytes(LfsServer.ObjectPath(github.BarePath, mainOid)), File.ReadAllBytes(LfsServer.ObjectPath(gitlab.BarePath, mainOid)));
        Assert.Equal(File.ReadAllBytes(LfsServer.ObjectPath(gitlab.BarePath, featureOid)), File.ReadAllBytes(LfsServer.ObjectPath(github.BarePath, featureOid)));
        // Each side was asked with its own token, only at its own repository's LFS endpoint.
        var requests = _lfs.Requests;
        Assert.Contains(requests, r => r.PathAndQuery.StartsWith("/gitlab/group/app.git/info/lfs/objects/batch") && r.BasicPassword == _http.GitLabToken);
        Assert.Contains(requests, r => r.PathAndQuery.StartsWith("/github/org/app.git/info/lfs/objects/batch") && r.BasicPassword == _http.GitHubToken);
        Assert.DoesNotContain(requests, r => r.PathAndQuery.StartsWith("/gitlab/") && r.BasicPassword == _http.GitHubToken);
        Assert.DoesNotContain(requests, r => r.PathAndQuery.StartsWith("/github/") && r.BasicPassword == _http.GitLabToken);
        Assert.Contains(requests, r => r.Method == "POST" && r.PathAndQuery.EndsWith("/info/lfs/verify") && r.StatusCode == 200);

        // A no-op poll pushes nothing and asks the LFS servers nothing.
        var before = _lfs.Requests.Count;
        var poll = await Sync("app");
        Assert.Equal(MirrorSyncStatus.UpToDate, poll.Result.Status);
        Assert.Equal(before, _lfs.Requests.Count);
    }

    [Fact]
    public async Task An_initial_mirror_into_an_empty_side_finds_a_pointer_deep_in_history()
    {
        // The empty side lacks everything: the whole cache is checked for pointer files at once, and
        // one buried under later commits (and behind a tag) still sends its object before the refs move.
        var (github, gitlab) = World.AddPair("deep");
        var (buried, oid) = CommitLfsFile(github, "main", "assets/old.bin");
        Git.Run(github.BarePath, "tag", "-a", "v1", "-m", "v1", buried);
        github.Commits(5);
        Assert.Empty(RepoBuilder.Refs(gitlab.BarePath));

        var outcome = await Sync("deep");

        Assert.Equal(MirrorSyncStatus.Synced, outcome.Result.Status);
        Assert.Equal(RepoBuilder.Refs(github.BarePath)["refs/heads/main"], RepoBuilder.Refs(gitlab.BarePath)["refs/heads/main"]);
        Assert.Equal(File.ReadAllBytes(LfsServer.ObjectPath(github.BarePath, oid)), File.ReadAllBytes(LfsServer.ObjectPath(gitlab.BarePath, oid)));
    }

    [Fact]
    public async Task An_initial_mirror_of_a_history_without_pointers_asks_no_LFS_server()
    {
        var (github, gitlab) = World.AddPair("plain");
        github.Commits(5);
        Git.Run(github.BarePath, "branch", "topic", "main~2");

        var outcome = await Sync("plain");

        Assert.Equal(MirrorSyncStatus.Synced, outcome.Result.Status);
        Assert.Equal(RepoBuilder.Refs(github.BarePath), RepoBuilder.Refs(gitlab.BarePath));
        Assert.Empty(_lfs.Requests);
        Assert.Contains(_log.VerboseLines, m => m.Contains("No LFS pointer files in the commits GitLab lacks", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_token_never_reaches_another_origin_a_log_or_a_message()
    {
        _lfs.UseSeparateStorage();
        var (github, gitlab) = World.AddPair("app");
        var (_, oid) = CommitLfsFile(github, "main", "big.bin", size: 100_000);
        CommitLfsFile(github, "missing", "lost.bin", storeObject: false);

        var outcome = await Sync("app");

        Assert.True(LfsServer.Holds(gitlab.BarePath, oid));
        var storage = _lfs.Requests.Where(r => r.Origin == "storage").ToList();
        Assert.Contains(storage, r => r.Method == "GET");
        Assert.Contains(storage, r => r.Method == "PUT");
        // Object storage gets only the header the batch answer gave for it, never a bot's token.
        Assert.All(storage, r =>
        {
            Assert.StartsWith("RemoteAuth ", r.Authorization);
            Assert.Null(r.BasicPassword);
            AssertNoCanary(r.Authorization);
        });
        Assert.All(_lfs.Requests, r => AssertNoCanary(r.PathAndQuery));
        AssertNoCanary(outcome.Result.Error);
        Assert.All(outcome.Result.Updates, u => AssertNoCanary(u.Message));
        Assert.All(_log.VerboseLines.Concat(_log.Warnings), AssertNoCanary);
    }

    [Fact]
    public async Task An_object_missing_on_the_source_is_reported_and_its_ref_does_not_move()
    {
        var (github, gitlab) = World.AddPair("app");
        github.Commit("docs");
        var (_, oid) = CommitLfsFile(github, "main", "assets/lost.bin", storeObject: false);

        var outcome = await Sync("app");

        Assert.Equal(MirrorSyncStatus.Failed, outcome.Result.Status);
        var refs = RepoBuilder.Refs(gitlab.BarePath);
        Assert.False(refs.ContainsKey("refs/heads/main"));
        Assert.True(refs.ContainsKey("refs/heads/docs")); // one ref that cannot go never blocks the others
        var failed = Assert.Single(outcome.Result.Updates, u => !u.Succeeded);
        Assert.Equal("refs/heads/main", failed.Ref);
        Assert.Contains("missing on GitHub (org/app)", failed.Message);
        Assert.Contains("assets/lost.bin", failed.Message);
        Assert.Contains(oid[..12], failed.Message);
        Assert.Contains("refs/heads/main", outcome.Result.Error);
        Assert.Contains(_log.Warnings, w => w.Contains("assets/lost.bin") && w.Contains("missing on GitHub"));
    }

    [Fact]
    public async Task A_refused_upload_names_the_object_and_the_limit_and_leaves_the_ref_unmoved()
    {
        var (github, gitlab) = World.AddPair("app");
        github.Commit("docs");
        var (_, oid) = CommitLfsFile(github, "main", "video.bin", size: 5000);
        _lfs.RefuseUpload = (_, size) => size > 4096 ? (422, "Size must be less than or equal to 4096 bytes") : null;

        var outcome = await Sync("app");

        Assert.Equal(MirrorSyncStatus.Failed, outcome.Result.Status);
        Assert.False(RepoBuilder.Refs(gitlab.BarePath).ContainsKey("refs/heads/main"));
        Assert.True(RepoBuilder.Refs(gitlab.BarePath).ContainsKey("refs/heads/docs"));
        Assert.False(LfsServer.Holds(gitlab.BarePath, oid));
        var failed = Assert.Single(outcome.Result.Updates, u => !u.Succeeded);
        Assert.Contains("video.bin", failed.Message);
        Assert.Contains("less than or equal to 4096 bytes", failed.Message);
        Assert.Contains("refused", outcome.Result.Error);
        Assert.Contains(_log.Warnings, w => w.Contains("video.bin") && w.Contains("4096 bytes") && w.Contains("GitLab (group/app)"));
    }

    [Fact]
    public async Task A_target_over_quota_or_without_LFS_fails_the_pair_with_the_reason()
    {
        var (github, gitlab) = World.AddPair("quota");
        CommitLfsFile(github, "main", "a.bin");
        _lfs.RefuseUploadBatch = (507, "over the storage quota of 10 GB");
        var (github2, gitlab2) = World.AddPair("disabled");
        CommitLfsFile(github2, "main", "b.bin");
        _lfs.Disabled.Add("/gitlab/group/disabled.git");

        var quota = await Sync("quota");
        var disabled = await Sync("disabled");

        Assert.Equal(MirrorSyncStatus.Failed, quota.Result.Status);
        Assert.Contains("quota", quota.Result.Error);
        Assert.Contains("10 GB", quota.Result.Error);
        Assert.Empty(RepoBuilder.Refs(gitlab.BarePath));
        Assert.Equal(MirrorSyncStatus.Failed, disabled.Result.Status);
        Assert.Contains("Git LFS is not enabled", disabled.Result.Error);
        Assert.Empty(RepoBuilder.Refs(gitlab2.BarePath));
    }

    [Fact]
    public async Task Lfs_false_pushes_the_pointers_only_and_asks_no_LFS_server()
    {
        var (github, gitlab) = World.AddPair("app");
        var (commit, oid) = CommitLfsFile(github, "main", "a.bin");
        File.WriteAllText(World.ConfigPath, File.ReadAllText(World.ConfigPath).Replace("    name: app\n", "    name: app\n    lfs: false\n"));
        Assert.False(Pair("app").Lfs);

        var outcome = await Sync("app");

        Assert.Equal(MirrorSyncStatus.Synced, outcome.Result.Status);
        Assert.Equal(commit, RepoBuilder.Refs(gitlab.BarePath)["refs/heads/main"]);
        Assert.False(LfsServer.Holds(gitlab.BarePath, oid));
        Assert.Empty(_lfs.Requests);
    }

    [Fact]
    public async Task Repair_copies_the_winners_objects_first_and_changes_nothing_when_it_cannot()
    {
        var (github, gitlab) = World.AddPair("app");
        var theirs = gitlab.Commit("main");
        var (ours, oid) = CommitLfsFile(github, "main", "won.bin");
        var (lostCommit, _) = CommitLfsFile(github, "other", "lost.bin", storeObject: false);
        gitlab.Commit("other");
        var repairer = new GitMirror.Core.Apply.DivergenceRepairer(_log);

        var outcomes = await repairer.RepairAsync(Pair("app"), [new("refs/heads/main"), new("refs/heads/other")], MirrorSide.GitHub,
            _ => true, CancellationToken.None);

        Assert.True(outcomes[0].Result!.Succeeded, outcomes[0].Error?.Message);
        Assert.Equal(ours, RepoBuilder.Refs(gitlab.BarePath)["refs/heads/main"]);
        Assert.True(LfsServer.Holds(gitlab.BarePath, oid));
        Assert.NotNull(outcomes[1].Error);
        Assert.Contains("missing on GitHub", outcomes[1].Error!.Message);
        Assert.Null(outcomes[1].Result!.BackupRef);
        Assert.NotEqual(lostCommit, RepoBuilder.Refs(gitlab.BarePath)["refs/heads/other"]);
        Assert.DoesNotContain(RepoBuilder.Refs(gitlab.BarePath).Keys, r => r.Contains("backup") && r.EndsWith("/other"));
        Assert.NotEqual(theirs, ours);
    }

    [Fact]
    public async Task Compare_tells_which_side_lacks_the_objects_of_a_ref()
    {
        var (github, gitlab) = World.AddPair("app");
        var (content, oid) = LfsFiles.NewObject(2048);
        LfsFiles.Store(github.BarePath, content, oid);
        var commit = LfsFiles.Commit(github.BarePath, "main", new Dictionary<string, string> { ["pics/cat.bin"] = LfsFiles.Pointer(oid, 2048) });
        github.Commit("plain");
        // Mirrored earlier with lfs: false (or by a release without LFS): in sync, but GitLab lacks the object.
        var config = File.ReadAllText(World.ConfigPath);
        File.WriteAllText(World.ConfigPath, config.Replace("    name: app\n", "    name: app\n    lfs: false\n"));
        Assert.Equal(MirrorSyncStatus.Synced, (await Sync("app")).Result.Status);
        File.WriteAllText(World.ConfigPath, config);
        Assert.Equal(commit, RepoBuilder.Refs(gitlab.BarePath)["refs/heads/main"]);

        var plan = await new MirrorEngine(_log).CompareAsync(Pair("app"), CancellationToken.None);

        var main = plan.Comparisons.Single(c => c.Ref == "refs/heads/main");
        Assert.Equal(MirrorRefStatus.InSync, main.Status);
        var missing = Assert.Single(main.LfsMissing);
        Assert.Equal(oid, missing.Oid);
        Assert.Equal(MirrorSide.GitLab, missing.MissingOn);
        Assert.Equal("pics/cat.bin", missing.Path);
        Assert.Equal(2048, missing.Size);
        Assert.Empty(plan.Comparisons.Single(c => c.Ref == "refs/heads/plain").LfsMissing);
        Assert.DoesNotContain(_lfs.Requests, r => r.Method is "PUT" or "GET"); // it asks, it never transfers
    }
}

/// <summary>Local (directory) sides keep LFS objects where git-lfs does: the repository's lfs/objects.</summary>
public sealed class LfsLocalSyncTests : IDisposable
{
    private readonly MirrorWorld _world = new();

    public void Dispose() => _world.Dispose();

    [Fact]
    public async Task Objects_go_to_the_lfs_folder_of_a_local_target()
    {
        var (github, gitlab) = _world.AddPair("app");
        var (content, oid) = LfsFiles.NewObject(70_000);
        LfsFiles.Store(github.BarePath, content, oid);
        var commit = LfsFiles.Commit(github.BarePath, "main", new Dictionary<string, string> { ["a.bin"] = LfsFiles.Pointer(oid, content.Length) });
        var (_, lost) = LfsFiles.NewObject(10);
        LfsFiles.Commit(github.BarePath, "broken", new Dictionary<string, string> { ["lost.bin"] = LfsFiles.Pointer(lost, 10) });
        var pair = ConfigLoader.Load(_world.ConfigPath).Pairs.Single();

        var outcome = await new MirrorEngine(NullMirrorLog.Instance).SyncAsync(pair, _ => true, CancellationToken.None);

        Assert.Equal(MirrorSyncStatus.Failed, outcome.Result.Status);
        Assert.Equal(commit, RepoBuilder.Refs(gitlab.BarePath)["refs/heads/main"]);
        Assert.Equal(content, File.ReadAllBytes(LfsServer.ObjectPath(gitlab.BarePath, oid)));
        Assert.False(RepoBuilder.Refs(gitlab.BarePath).ContainsKey("refs/heads/broken"));
        Assert.Contains("missing on GitHub", Assert.Single(outcome.Result.Updates, u => !u.Succeeded).Message);
        Assert.Empty(Directory.GetFiles(Path.Combine(gitlab.BarePath, "lfs"), "*.part", SearchOption.AllDirectories));
    }
}
