using GitMirror.Core.Notify;
using Xunit;

namespace GitMirror.Core.Tests.Notify;

public class NotificationRulesTests
{
    private static MirrorPairStatus Status(MirrorSyncStatus? status, int failures = 0, bool diverged = false) => new()
    {
        PairName = "p",
        Status = status,
        Healthy = status is MirrorSyncStatus.UpToDate or MirrorSyncStatus.Synced && !diverged,
        ConsecutiveFailures = failures,
        DivergedRefs = diverged ? ["refs/heads/main"] : [],
    };

    public static TheoryData<string?, MirrorPairStatus, string?, string?> Cases => new()
    {
        // notified before, status now → event, notified after
        { null, Status(MirrorSyncStatus.Synced), null, null },
        { null, Status(MirrorSyncStatus.Halted, diverged: true), "halted", "halted" },
        { "halted", Status(MirrorSyncStatus.Halted, diverged: true), null, "halted" },
        { null, Status(MirrorSyncStatus.UpToDate, diverged: true), "halted", "halted" },      // skip-ref left a diverged ref
        { "halted", Status(MirrorSyncStatus.Synced), "recovered", null },
        { null, Status(MirrorSyncStatus.Failed, failures: 1), null, null },
        { null, Status(MirrorSyncStatus.Failed, failures: 2), null, null },
        { null, Status(MirrorSyncStatus.Failed, failures: 3), "failed", "failed" },
        { "failed", Status(MirrorSyncStatus.Failed, failures: 4), null, "failed" },
        { null, Status(MirrorSyncStatus.Failed, failures: 5), "failed", "failed" },             // the run at the threshold could not tell
        { "failed", Status(MirrorSyncStatus.UpToDate), "recovered", null },
        { "halted", Status(MirrorSyncStatus.Failed, failures: 1), null, "halted" },
        { "halted", Status(MirrorSyncStatus.Failed, failures: 3), "failed", "failed" },
        { "failed", Status(MirrorSyncStatus.Halted, diverged: true), "halted", "halted" },
        { "failed", Status(MirrorSyncStatus.Skipped, failures: 3), null, "failed" },
        { "halted", Status(null), null, "halted" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void One_message_per_change_of_state(string? before, MirrorPairStatus status, string? expectedEvent, string? after)
    {
        var (sent, notified) = NotificationRules.Decide(before, status, failureThreshold: 3);
        Assert.Equal(expectedEvent, sent);
        Assert.Equal(after, notified);
    }
}
