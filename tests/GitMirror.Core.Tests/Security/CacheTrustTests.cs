using GitMirror.Core.Config;
using GitMirror.Core.Engine;
using GitMirror.Core.Observe;
using GitMirror.Core.Report;
using GitMirror.Core.Transport;
using GitMirror.Core.Unattended;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.Core.Tests.Security;

/// <summary>
/// Issue 12, items 4 and 11: a cache someone else can write to is refused, no link inside it is
/// followed, its git config is GitMirror's alone, and tokens go only to the configured origin.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // Unix modes and owners; Windows' ACLs are another test
public sealed class CacheTrustTests : IDisposable
{
    private const UnixFileMode Mode700 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private readonly HttpMirrorWorld _http = new();
    private readonly TempDir _outside = new("victim");

    private MirrorWorld World => _http.World;

    public void Dispose()
    {
        _http.Dispose();
        _outside.Dispose();
    }

    private MirrorPair Pair(string name) => ConfigLoader.Load(World.ConfigPath).Pairs.Single(p => p.Name == name);

    private static Task<SyncOutcome> Sync(MirrorPair pair) =>
        new SyncRun([pair], new SyncRunOptions(), NullMirrorLog.Instance).SyncAsync(pair, _ => true, CancellationToken.None);

    private string Victim(string name = "precious.txt")
    {
        var path = _outside.Combine(name);
        File.WriteAllText(path, "precious");
        return path;
    }

    [Fact]
    public async Task A_symlinked_lock_file_is_refused_and_its_target_left_alone()
    {
        var victim = Victim();
        Directory.CreateDirectory(World.CachePath, Mode700);
        Directory.CreateDirectory(Path.Combine(World.CachePath, PairLock.DirectoryName), Mode700);
        File.CreateSymbolicLink(PairLock.PathFor(World.CachePath, "app"), victim);

        var e = await Assert.ThrowsAsync<MirrorCacheUntrustedException>(() => PairLock.TryAcquireAsync(World.CachePath, "app", TimeSpan.Zero));

        Assert.Equal(PairLock.PathFor(World.CachePath, "app"), e.Path);
        Assert.Contains("symbolic link", e.Message);
        Assert.Equal("precious", File.ReadAllText(victim));
    }

    [Theory]
    [InlineData(UnixFileMode.GroupWrite)]
    [InlineData(UnixFileMode.OtherWrite | UnixFileMode.OtherExecute | UnixFileMode.OtherRead)]
    public async Task A_cache_writable_by_others_is_refused_before_any_request(UnixFileMode extra)
    {
        World.AddPair("app").GitHub.Commits(1);
        Directory.CreateDirectory(World.CachePath);
        File.SetUnixFileMode(World.CachePath, Mode700 | extra);

        var outcome = await Sync(Pair("app"));

        Assert.Equal(MirrorSyncStatus.Failed, outcome.Result.Status);
        Assert.Contains(World.CachePath, outcome.Result.Error);
        Assert.Contains($"chmod 700 {World.CachePath}", outcome.Result.Error);
        Assert.Empty(_http.Server.Requests);
        Assert.Equal(Mode700 | extra, File.GetUnixFileMode(World.CachePath)); // never chmod'ed for the operator
    }

    [SkippableFact]
    public async Task A_cache_owned_by_another_user_is_refused()
    {
        Skip.IfNot(UnixFileStatus.CurrentUserId == 0, "chown to another user needs root");
        World.AddPair("app").GitHub.Commits(1);
        Directory.CreateDirectory(World.CachePath, Mode700);
        Chown(World.CachePath, 65534);

        var outcome = await Sync(Pair("app"));

        Assert.Equal(MirrorSyncStatus.Failed, outcome.Result.Status);
        Assert.Contains("owned by user id 65534", outcome.Result.Error);
        Assert.Empty(_http.Server.Requests);
    }

    [Fact]
    public async Task A_planted_insteadOf_does_not_send_the_token_elsewhere()
    {
        await using var canary = await CanaryServer.StartAsync();
        var (github, gitlab) = World.AddPair("app");
        github.Commits(1);
        Assert.Equal(MirrorSyncStatus.Synced, (await Sync(Pair("app"))).Result.Status);
        var repository = Directory.GetDirectories(Path.Combine(World.CachePath, "repos")).Single();
        // What an attacker with write access to the cache adds (git reads insteadOf and pushInsteadOf).
        File.AppendAllText(Path.Combine(repository, "config"),
            $"[url \"{canary.BaseUrl}/\"]\n\tinsteadOf = {_http.Server.BaseUrl}/\n\tpushInsteadOf = {_http.Server.BaseUrl}/\n");
        var tip = github.Commit();

        var outcome = await Sync(Pair("app"));

        Assert.Equal(MirrorSyncStatus.Synced, outcome.Result.Status);
        Assert.Equal(tip, gitlab.TipOrNull("main"));
        Assert.False(canary.SawToken(_http.GitHubToken) || canary.SawToken(_http.GitLabToken));
        Assert.DoesNotContain("insteadOf", File.ReadAllText(Path.Combine(repository, "config")));
    }

    [Fact]
    public async Task The_caches_config_is_replaced_only_when_it_differs()
    {
        var (github, _) = World.AddPair("app");
        github.Commits(1);
        Assert.Equal(MirrorSyncStatus.Synced, (await Sync(Pair("app"))).Result.Status);
        var config = Path.Combine(Directory.GetDirectories(Path.Combine(World.CachePath, "repos")).Single(), "config");
        var rendered = File.ReadAllText(config);
        var longAgo = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(config, longAgo);

        Assert.Equal(MirrorSyncStatus.UpToDate, (await Sync(Pair("app"))).Result.Status);
        Assert.Equal(longAgo, File.GetLastWriteTimeUtc(config)); // unchanged: not written again

        File.AppendAllText(config, "[core]\n\thooksPath = /tmp/elsewhere\n");
        Assert.Equal(MirrorSyncStatus.UpToDate, (await Sync(Pair("app"))).Result.Status);
        Assert.Equal(rendered, File.ReadAllText(config));
    }

    [Fact]
    public async Task The_git_transport_sends_a_token_only_to_its_configured_origin()
    {
        await using var canary = await CanaryServer.StartAsync();
        var credential = GitCredential.ForGitLab(_http.GitLabToken).For(_http.Server.BaseUrl + "/gitlab/group/app.git");

        var e = await Assert.ThrowsAsync<GitTransportException>(() =>
            new HttpRefLister().ListAsync(canary.BaseUrl + "/gitlab/group/app.git", credential, TimeSpan.FromSeconds(10), CancellationToken.None));

        Assert.Equal(TransportFailureKind.Permission, e.Kind);
        Assert.Empty(canary.Requests);
    }

    [Fact]
    public async Task A_symlink_under_refs_is_refused_and_no_lock_file_outside_is_deleted()
    {
        var (github, _) = World.AddPair("app");
        github.Commits(1);
        Assert.Equal(MirrorSyncStatus.Synced, (await Sync(Pair("app"))).Result.Status);
        var repository = Directory.GetDirectories(Path.Combine(World.CachePath, "repos")).Single();
        var outsideLock = Victim("important.lock");
        Directory.CreateSymbolicLink(Path.Combine(repository, "refs", "evil"), _outside.Path);

        var e = Assert.Throws<MirrorCacheUntrustedException>(() => MirrorCache.Open(Pair("app")));

        Assert.Equal(Path.Combine(repository, "refs", "evil"), e.Path);
        Assert.True(File.Exists(outsideLock));
    }

    [SkippableFact]
    public async Task A_file_planted_by_another_user_in_the_cache_repository_is_refused()
    {
        Skip.IfNot(UnixFileStatus.CurrentUserId == 0, "chown to another user needs root");
        var (github, _) = World.AddPair("app");
        github.Commits(1);
        Assert.Equal(MirrorSyncStatus.Synced, (await Sync(Pair("app"))).Result.Status);
        var repository = Directory.GetDirectories(Path.Combine(World.CachePath, "repos")).Single();
        var hook = Path.Combine(repository, "hooks", "pre-push");
        File.WriteAllText(hook, "#!/bin/sh\nexit 0\n");
        Chown(hook, 65534);

        var outcome = await Sync(Pair("app"));

        Assert.Equal(MirrorSyncStatus.Failed, outcome.Result.Status);
        Assert.Contains(hook, outcome.Result.Error);
    }

    [Fact]
    public async Task Group_writable_files_of_our_own_are_tightened_not_refused()
    {
        var (github, _) = World.AddPair("app");
        github.Commits(1);
        Assert.Equal(MirrorSyncStatus.Synced, (await Sync(Pair("app"))).Result.Status);
        var repository = Directory.GetDirectories(Path.Combine(World.CachePath, "repos")).Single();
        var head = Path.Combine(repository, "HEAD");
        File.SetUnixFileMode(head, File.GetUnixFileMode(head) | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite);
        File.SetUnixFileMode(Path.Combine(repository, "refs"), Mode700 | UnixFileMode.GroupWrite);

        Assert.Equal(MirrorSyncStatus.UpToDate, (await Sync(Pair("app"))).Result.Status);

        Assert.Equal(0, (int)(File.GetUnixFileMode(head) & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)));
        Assert.Equal(0, (int)(File.GetUnixFileMode(Path.Combine(repository, "refs")) & UnixFileMode.GroupWrite));
    }

    [Fact]
    public void The_cache_is_created_owner_only_with_its_status_files()
    {
        var store = new StatusStore(World.CachePath);
        store.Record(new MirrorSyncResult { Pair = AppPair(), Status = MirrorSyncStatus.UpToDate });

        Assert.Equal(Mode700, File.GetUnixFileMode(World.CachePath));
        Assert.Equal(Mode700, File.GetUnixFileMode(Path.Combine(World.CachePath, StatusStore.DirectoryName)));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.PathFor("app")));
    }

    [Fact]
    public void The_JSON_log_is_created_0600_and_a_symlink_in_its_place_is_refused()
    {
        var path = _outside.Combine("logs", "gitmirror.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var result = new MirrorSyncResult { Pair = AppPair(), Status = MirrorSyncStatus.UpToDate };

        new JsonLineLog(path, "run1", SecretRedactor.None).WriteResult(result);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));

        var victim = Victim();
        var linked = _outside.Combine("logs", "linked.jsonl");
        File.CreateSymbolicLink(linked, victim);
        var e = Assert.Throws<IOException>(() => new JsonLineLog(linked, "run2", SecretRedactor.None).WriteResult(result));
        Assert.Contains("symbolic link", e.Message);
        Assert.Equal("precious", File.ReadAllText(victim));
    }

    [Fact]
    public void The_metrics_file_is_world_readable_0644_and_a_symlink_in_its_place_is_refused()
    {
        var path = _outside.Combine("gitmirror.prom");
        MetricsWriter.Write(path, [], new MirrorRunTotals(0, TimeSpan.Zero));
        Assert.Equal(MetricsWriter.Permissions, File.GetUnixFileMode(path));

        var victim = Victim();
        var linked = _outside.Combine("linked.prom");
        File.CreateSymbolicLink(linked, victim);
        Assert.Throws<IOException>(() => MetricsWriter.Write(linked, [], new MirrorRunTotals(0, TimeSpan.Zero)));
        Assert.Equal("precious", File.ReadAllText(victim));
        Assert.NotNull(new FileInfo(linked).LinkTarget);
    }

    private MirrorPair AppPair() => new()
    {
        Name = "app", GitHub = "o/a", GitLab = "g/a", GitHubUrl = "x", GitLabUrl = "y", ConfigPath = World.ConfigPath, CachePath = World.CachePath,
    };

    private static void Chown(string path, int uid)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("chown", [uid.ToString(System.Globalization.CultureInfo.InvariantCulture), path]);
        using var process = System.Diagnostics.Process.Start(psi)!;
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
    }
}
