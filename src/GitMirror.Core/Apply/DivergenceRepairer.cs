using System.Globalization;
using GitMirror.Core.Engine;
using GitMirror.Core.Observe;
using GitMirror.Core.Plan;
using GitMirror.Core.Transport;

namespace GitMirror.Core.Apply;

/// <summary>One ref to repair: as the caller compared it (<paramref name="Seen"/>), or by name only (compared fresh).</summary>
/// <param name="Ref">A full name, or (without <paramref name="Seen"/>) a short branch or tag name.</param>
public sealed record RepairRequest(string Ref, MirrorRefComparison? Seen = null)
{
    public static RepairRequest From(MirrorRefComparison seen) => new(seen.Ref, seen);
}

/// <summary>What a repair is about to do, for the confirmation: the losing side's object is kept at BackupRef, then replaced.</summary>
public sealed record RepairStep(MirrorRefComparison Comparison, MirrorSide Winner, string OldSha, string NewSha, string BackupRef)
{
    public MirrorSide Loser => Winner == MirrorSide.GitHub ? MirrorSide.GitLab : MirrorSide.GitHub;
}

/// <summary>
/// The outcome of one request. <see cref="Result"/> is null when nothing was attempted (refused up
/// front, or declined at the confirmation); <see cref="Error"/> is set when the ref was not repaired.
/// </summary>
public sealed record RepairOutcome(RepairRequest Request, MirrorRefComparison? Current, MirrorRepairResult? Result, RefChangeException? Error)
{
    public bool Declined => Result is null && Error is null;
}

/// <summary>
/// Apply, for a person's decision: makes one side win for diverged refs. Per ref, under the pair's
/// lock and from a fresh comparison: refuse if the ref moved since the caller compared it; push the
/// loser's object to a backup ref on the losing side (design.md §6); only when that succeeded,
/// replace the loser's ref with the winner's object, leased on the value that was backed up.
/// </summary>
public sealed class DivergenceRepairer(IMirrorLog log, TimeProvider? time = null)
{
    private readonly RefPusher _pusher = new(log);
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public TimeSpan LockTimeout { get; init; } = LockedPair.DefaultLockTimeout;

    /// <summary>refs/heads/gitmirror/backup/20250502T101500Z/main, or refs/tags/… for a tag (a server refuses a tag object under refs/heads).</summary>
    public static string BackupRefFor(string refName, DateTimeOffset when)
    {
        var stamp = when.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var prefix = MirrorRefNames.KindOf(refName) == MirrorRefKind.Tag ? MirrorRefNames.TagPrefix : MirrorRefNames.BranchPrefix;
        return $"{prefix}gitmirror/backup/{stamp}/{MirrorRefNames.ShortName(refName)}";
    }

    /// <summary>Repairs the requested refs of one pair, in order, asking <paramref name="approve"/> before changing each.</summary>
    /// <exception cref="RefChangeException">PairBusy: another run holds the pair.</exception>
    /// <exception cref="GitTransportException">A side could not be read.</exception>
    public async Task<IReadOnlyList<RepairOutcome>> RepairAsync(MirrorPair pair, IReadOnlyList<RepairRequest> requests, MirrorSide winner,
        Func<RepairStep, bool> approve, CancellationToken cancellationToken)
    {
        using var locked = await LockedPair.OpenAsync(pair, log, LockTimeout, cancellationToken).ConfigureAwait(false);
        // One stamp per run: the refs repaired together are backed up together.
        var now = _time.GetUtcNow();
        var outcomes = new List<RepairOutcome>();
        foreach (var request in requests)
        {
            cancellationToken.ThrowIfCancellationRequested();
            outcomes.Add(await Task.Run(() => RepairOne(locked, request, winner, now, approve, cancellationToken), cancellationToken).ConfigureAwait(false));
        }
        return outcomes;
    }

    private RepairOutcome RepairOne(LockedPair locked, RepairRequest request, MirrorSide winner, DateTimeOffset now,
        Func<RepairStep, bool> approve, CancellationToken cancellationToken)
    {
        var pair = locked.Pair;
        MirrorRefComparison current;
        try
        {
            current = locked.Find(locked.Resolve(request.Ref))!;
        }
        catch (RefChangeException e)
        {
            return new RepairOutcome(request, null, null, e);
        }

        if (request.Seen is { } seen && (!SameSha(seen.GitHubSha, current.GitHubSha) || !SameSha(seen.GitLabSha, current.GitLabSha)))
        {
            return Refused(RefChangeFailure.Moved,
                $"Pair '{pair.Name}': {current.Ref} moved since it was compared (GitHub {Describe(seen.GitHubSha)} -> {Describe(current.GitHubSha)}, " +
                $"GitLab {Describe(seen.GitLabSha)} -> {Describe(current.GitLabSha)}); nothing was changed. Compare again before repairing.");
        }
        if (!current.Diverged)
        {
            return Refused(RefChangeFailure.NotDiverged,
                $"Pair '{pair.Name}': {current.Ref} is not diverged ({current.Status}); nothing to repair: Sync-MirrorPair handles it.");
        }

        var loser = winner == MirrorSide.GitHub ? MirrorSide.GitLab : MirrorSide.GitHub;
        var step = new RepairStep(current, winner, current.ShaOf(loser)!, current.ShaOf(winner)!, BackupRefFor(current.Ref, now));
        if (!approve(step)) return new RepairOutcome(request, current, null, null);

        var target = RemoteEndpoint.For(pair, loser);
        // The winner's LFS objects go first: if they cannot, nothing is backed up or overwritten.
        var replacement = new PlannedPush(current.Ref, loser, step.OldSha, step.NewSha) { Force = true };
        var lfs = new Lfs.LfsMirror(log).PrepareAsync(pair, locked.Cache, locked.Plan, [replacement], cancellationToken).GetAwaiter().GetResult();
        if (lfs.Blocked.Count > 0)
        {
            return Failed(backupRef: null, RefChangeFailure.Rejected,
                $"Pair '{pair.Name}': {current.Ref} was not replaced on {target.Description}, nothing was changed: {lfs.Blocked[0].Message}", null);
        }
        log.Verbose($"[{pair.Name}] Backing up {current.Ref} {Describe(step.OldSha)} to {step.BackupRef} on {target.Description}");
        // The loser's own object, pushed back to the loser under a new name: create-only (leased on "absent").
        var backup = _pusher.Push(locked.Cache, target, [new PlannedPush(step.BackupRef, loser, null, step.OldSha) { Source = loser }], cancellationToken);
        if (!backup.Updates[0].Succeeded)
        {
            return Failed(backupRef: null, backup.Failure is null ? RefChangeFailure.BackupFailed : RefChangeFailure.Transport,
                $"Pair '{pair.Name}': backing up {current.Ref} to {step.BackupRef} on {target.Description} failed, so nothing was overwritten: {backup.Updates[0].Message}",
                backup.Failure);
        }

        log.Verbose($"[{pair.Name}] Replacing {current.Ref} {Describe(step.OldSha)} with {Describe(step.NewSha)} on {target.Description}");
        var replace = _pusher.Push(locked.Cache, target, [replacement], cancellationToken);
        if (!replace.Updates[0].Succeeded)
        {
            var failure = replace.LeaseBroken is not null ? RefChangeFailure.Moved
                : replace.Failure is not null ? RefChangeFailure.Transport
                : RefChangeFailure.Rejected;
            return Failed(step.BackupRef, failure,
                $"Pair '{pair.Name}': {current.Ref} was not replaced on {target.Description}: {replace.Updates[0].Message}. " +
                $"The backup {step.BackupRef} was made; compare again before repairing.", replace.Failure);
        }

        return new RepairOutcome(request, current, Result(true, step.BackupRef,
            $"{loser} now has {winner}'s {Describe(step.NewSha)}; its old {Describe(step.OldSha)} is kept at {step.BackupRef} on {loser}"), null);

        RepairOutcome Refused(RefChangeFailure failure, string message) =>
            new(request, current, null, new RefChangeException(failure, message));

        RepairOutcome Failed(string? backupRef, RefChangeFailure failure, string message, GitTransportException? inner) =>
            new(request, current, Result(false, backupRef, message), new RefChangeException(failure, message, inner));

        MirrorRepairResult Result(bool succeeded, string? backupRef, string message) => new()
        {
            PairName = pair.Name,
            Ref = current.Ref,
            Winner = winner,
            OldSha = step.OldSha,
            NewSha = step.NewSha,
            BackupRef = backupRef,
            Succeeded = succeeded,
            Message = message,
        };
    }

    private static bool SameSha(string? a, string? b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    private static string Describe(string? sha) => sha is null ? "(absent)" : PlannedPush.Short(sha);
}
