using GitMirror.Core.Report;
using GitMirror.Testing;
using Xunit;
using static GitMirror.Core.Tests.Report.TestData;

namespace GitMirror.Core.Tests.Report;

public class StatusStoreTests
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_pair_that_never_ran_has_no_status_and_is_not_healthy()
    {
        using var cache = new TempDir();
        var status = new StatusStore(cache.Path).Read("myorg/repo1");
        Assert.Equal("myorg/repo1", status.PairName);
        Assert.Null(status.Status);
        Assert.False(status.Healthy);
        Assert.Null(status.LastRun);
        Assert.Null(status.LastSuccess);
        Assert.Equal(0, status.ConsecutiveFailures);
        Assert.Empty(status.DivergedRefs);
    }

    [Fact]
    public void Failures_count_up_and_a_success_resets_them()
    {
        using var cache = new TempDir();
        var store = new StatusStore(cache.Path);
        store.Record(Result(MirrorSyncStatus.Synced, T0));
        store.Record(Result(MirrorSyncStatus.Failed, T0.AddMinutes(5), error: "GitLab myorg/repo1: server error (HTTP 502)."));
        store.Record(Result(MirrorSyncStatus.Failed, T0.AddMinutes(10), error: "boom"));

        var failing = store.Read("myorg/repo1");
        Assert.Equal(MirrorSyncStatus.Failed, failing.Status);
        Assert.False(failing.Healthy);
        Assert.Equal(2, failing.ConsecutiveFailures);
        Assert.Equal(T0.AddMinutes(10), failing.LastRun);
        Assert.Equal(T0, failing.LastSuccess);
        Assert.Equal("boom", failing.LastError);

        store.Record(Result(MirrorSyncStatus.UpToDate, T0.AddMinutes(15)));
        var healthy = store.Read("myorg/repo1");
        Assert.True(healthy.Healthy);
        Assert.Equal(0, healthy.ConsecutiveFailures);
        Assert.Equal(T0.AddMinutes(15), healthy.LastSuccess);
        Assert.Null(healthy.LastError);
    }

    [Fact]
    public void Halted_is_unhealthy_resets_failures_and_is_no_success()
    {
        using var cache = new TempDir();
        var store = new StatusStore(cache.Path);
        store.Record(Result(MirrorSyncStatus.Synced, T0));
        store.Record(Result(MirrorSyncStatus.Failed, T0.AddMinutes(5), error: "timeout"));
        var halted = store.Record(Result(MirrorSyncStatus.Halted, T0.AddMinutes(10), diverged: ["refs/heads/main"]));

        Assert.Equal(MirrorSyncStatus.Halted, halted.Status);
        Assert.False(halted.Healthy);
        Assert.Equal(0, halted.ConsecutiveFailures);
        Assert.Equal(T0, halted.LastSuccess);
        Assert.Equal(["refs/heads/main"], halted.DivergedRefs);
    }

    [Fact]
    public void Skip_ref_with_diverged_refs_is_a_success_but_not_healthy()
    {
        using var cache = new TempDir();
        var status = new StatusStore(cache.Path).Record(Result(MirrorSyncStatus.Synced, T0, diverged: ["refs/tags/v1"]));
        Assert.False(status.Healthy);
        Assert.Equal(T0, status.LastSuccess);
        Assert.Equal(["refs/tags/v1"], status.DivergedRefs);
    }

    [Fact]
    public void Skipped_keeps_the_previous_health_and_counters()
    {
        using var cache = new TempDir();
        var store = new StatusStore(cache.Path);
        store.Record(Result(MirrorSyncStatus.Synced, T0));
        var afterSuccess = store.Record(Result(MirrorSyncStatus.Skipped, T0.AddMinutes(5)));
        Assert.Equal(MirrorSyncStatus.Skipped, afterSuccess.Status);
        Assert.True(afterSuccess.Healthy);
        Assert.Equal(T0.AddMinutes(5), afterSuccess.LastRun);
        Assert.Equal(T0, afterSuccess.LastSuccess);

        store.Record(Result(MirrorSyncStatus.Failed, T0.AddMinutes(10), error: "refused"));
        var afterFailure = store.Record(Result(MirrorSyncStatus.Skipped, T0.AddMinutes(15)));
        Assert.False(afterFailure.Healthy);
        Assert.Equal(1, afterFailure.ConsecutiveFailures);
        Assert.Equal("refused", afterFailure.LastError);

        using var fresh = new TempDir();
        Assert.False(new StatusStore(fresh.Path).Record(Result(MirrorSyncStatus.Skipped, T0)).Healthy);
    }

    [Fact]
    public void A_crash_before_the_rename_leaves_the_previous_status()
    {
        using var cache = new TempDir();
        var store = new StatusStore(cache.Path);
        store.Record(Result(MirrorSyncStatus.Synced, T0));
        var path = store.PathFor("myorg/repo1");

        // What a process killed mid-write leaves behind: half a temp file beside the real one.
        var leftover = $"{path}.0123456789abcdef{AtomicFile.TempSuffix}";
        File.WriteAllText(leftover, "{\"version\":1,\"pairName\":\"myorg/re");
        Assert.Equal(MirrorSyncStatus.Synced, store.Read("myorg/repo1").Status);

        // An exception while writing the new content leaves the old file as it was.
        var before = File.ReadAllBytes(path);
        Assert.Throws<IOException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write("{\"half"u8);
            throw new IOException("No space left on device");
        }));
        Assert.Equal(before, File.ReadAllBytes(path));

        // The next write sweeps up temp files old enough that no writer can own them.
        File.SetLastWriteTimeUtc(leftover, DateTime.UtcNow.AddHours(-2));
        store.Record(Result(MirrorSyncStatus.UpToDate, T0.AddMinutes(5)));
        Assert.Equal([path], Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\"version\":1,\"pairName\":\"myorg/re")]
    [InlineData("null")]
    [InlineData("[1,2]")]
    [InlineData("{\"pairName\":\"someone/else\",\"status\":\"Synced\",\"healthy\":true}")]
    [InlineData("{\"pairName\":\"myorg/repo1\",\"status\":\"Exploded\"}")]
    public void A_damaged_status_file_reads_as_never_run_with_a_warning(string content)
    {
        using var cache = new TempDir();
        var log = new ListLog();
        var store = new StatusStore(cache.Path, log);
        Directory.CreateDirectory(Path.GetDirectoryName(store.PathFor("myorg/repo1"))!);
        File.WriteAllText(store.PathFor("myorg/repo1"), content);

        var status = store.Read("myorg/repo1");
        Assert.Null(status.Status);
        Assert.False(status.Healthy);
        Assert.Contains(log.Warnings, w => w.Contains("myorg/repo1") && w.Contains("never run"));

        // Recording over it starts afresh.
        Assert.Equal(1, store.Record(Result(MirrorSyncStatus.Failed, T0, error: "x")).ConsecutiveFailures);
        Assert.Equal(1, store.Read("myorg/repo1").ConsecutiveFailures);
    }

    [Fact]
    public void Errors_are_stored_without_tokens()
    {
        using var cache = new TempDir();
        var store = new StatusStore(cache.Path, redactor: new SecretRedactor(["glpat-CANARY123"]));
        store.Record(Result(MirrorSyncStatus.Failed, T0, error: "remote said: bad token glpat-CANARY123"));
        Assert.Equal("remote said: bad token ***", store.Read("myorg/repo1").LastError);
        Assert.DoesNotContain("CANARY", File.ReadAllText(store.PathFor("myorg/repo1")));
    }

    [Fact]
    public void Each_pair_has_its_own_file()
    {
        using var cache = new TempDir();
        var store = new StatusStore(cache.Path);
        store.Record(Result(MirrorSyncStatus.Synced, T0, name: "a/one"));
        store.Record(Result(MirrorSyncStatus.Failed, T0, name: "A/One", error: "x"));
        var all = store.ReadAll(["a/one", "A/One", "b/never"]);
        Assert.Equal([MirrorSyncStatus.Synced, MirrorSyncStatus.Failed, null], all.Select(s => s.Status));
    }
}
