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

/// <summary>
/// What a repair is about to do, for the confirmation: the losing side's object is kept at BackupRef,
/// then replaced. For a Conflict, <see cref="Conflict"/> describes the refs removed and created instead
/// (OldSha or NewSha is null when the loser or the winner lacks the requested ref).
/// </summary>
public sealed record RepairStep(MirrorRefComparison Comparison, MirrorSide Winner, string? OldSha, string? NewSha, string? BackupRef)
{
    public MirrorSide Loser => Winner == MirrorSide.GitHub ? MirrorSide.GitLab : MirrorSide.GitHub;

    /// <summary>For a Conflict: "remove refs/heads/x/y (backed up to …) on GitLab, then create refs/heads/x there from GitHub".</summary>
    public string? Conflict { get; init; }
}

/// <summary>
/// The outcome of one request. <see cref="Result"/> is null when nothing was attempted (refused up
/// front, or declined at the confirmation); <see cref="Error"/> is set when the ref was not repaired.
/// </summary>
public sealed record RepairOutcome(RepairRequest Request, MirrorRefComparison? Current, MirrorRepairResult? Result, RefChangeException? Error)
{
    public bool Declined => Result is null && Error is null;

    /// <summary>Every ref the repair changed or tried to: the requested one, and for a Conflict the others of its group.</summary>
    public IReadOnlyList<MirrorRepairResult> Results { get; init; } = Result is null ? [] : [Result];
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
                $"Pair '{pair.Name}': {current.Ref} moved since it was compared (GitHub {PlannedPush.Short(seen.GitHubSha, "(absent)")} -> {PlannedPush.Short(current.GitHubSha, "(absent)")}, " +
                $"GitLab {PlannedPush.Short(seen.GitLabSha, "(absent)")} -> {PlannedPush.Short(current.GitLabSha, "(absent)")}); nothing was changed. Compare again before repairing.");
        }
        if (!current.Diverged)
        {
            return Refused(RefChangeFailure.NotDiverged,
                $"Pair '{pair.Name}': {current.Ref} is not diverged ({current.Status}); nothing to repair: Sync-MirrorPair handles it.");
        }

        if (current.Status == MirrorRefStatus.Conflict)
        {
            return RepairConflict(locked, request, current, winner, now, approve, cancellationToken);
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
        log.Verbose($"[{pair.Name}] Backing up {current.Ref} {PlannedPush.Short(step.OldSha, "(absent)")} to {step.BackupRef} on {target.Description}");
        // The loser's own object, pushed back to the loser under a new name: create-only (leased on "absent").
        var backup = _pusher.Push(locked.Cache, target, [new PlannedPush(step.BackupRef!, loser, null, step.OldSha) { Source = loser }], cancellationToken);
        if (!backup.Updates[0].Succeeded)
        {
            return Failed(backupRef: null, backup.Failure is null ? RefChangeFailure.BackupFailed : RefChangeFailure.Transport,
                $"Pair '{pair.Name}': backing up {current.Ref} to {step.BackupRef} on {target.Description} failed, so nothing was overwritten: {backup.Updates[0].Message}",
                backup.Failure);
        }

        log.Verbose($"[{pair.Name}] Replacing {current.Ref} {PlannedPush.Short(step.OldSha, "(absent)")} with {PlannedPush.Short(step.NewSha, "(absent)")} on {target.Description}");
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
            $"{loser} now has {winner}'s {PlannedPush.Short(step.NewSha, "(absent)")}; its old {PlannedPush.Short(step.OldSha, "(absent)")} is kept at {step.BackupRef} on {loser}"), null);

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

    /// <summary>
    /// A Conflict (x vs x/y, Foo vs foo): the winner's names stand. Every ref of the conflict's group that
    /// only the loser holds is backed up on the loser (create-only), then deleted there (leased on the
    /// backed-up value); then the refs only the winner holds are created on the loser (leased on
    /// "absent"). Each step runs only when the one before it fully succeeded.
    /// </summary>
    private RepairOutcome RepairConflict(LockedPair locked, RepairRequest request, MirrorRefComparison current, MirrorSide winner,
        DateTimeOffset now, Func<RepairStep, bool> approve, CancellationToken cancellationToken)
    {
        var pair = locked.Pair;
        var loser = winner == MirrorSide.GitHub ? MirrorSide.GitLab : MirrorSide.GitHub;
        var group = ConflictGroup(locked, current);
        var remove = group.Where(c => c.ShaOf(loser) is not null && c.ShaOf(winner) is null)
            .Select(c => (Comparison: c, Sha: c.ShaOf(loser)!, Backup: BackupRefFor(c.Ref, now))).ToList();
        var create = group.Where(c => c.ShaOf(winner) is not null && c.ShaOf(loser) is null).ToList();
        var target = RemoteEndpoint.For(pair, loser);
        var plan = $"remove {string.Join(", ", remove.Select(r => $"{r.Comparison.Ref} {PlannedPush.Short(r.Sha, "(absent)")} (kept at {r.Backup})"))} on {loser}" +
            (create.Count == 0 ? "" : $", then create {string.Join(", ", create.Select(c => c.Ref))} there from {winner}");
        var step = new RepairStep(current, winner, current.ShaOf(loser), current.ShaOf(winner),
            remove.FirstOrDefault(r => r.Comparison.Ref == current.Ref).Backup)
        { Conflict = plan };
        if (!approve(step)) return new RepairOutcome(request, current, null, null);

        log.Verbose($"[{pair.Name}] Conflict of {current.Ref}: {plan}");
        var results = new Dictionary<string, MirrorRepairResult>(StringComparer.Ordinal);
        foreach (var (comparison, sha, backupRef) in remove) results[comparison.Ref] = Result(comparison.Ref, sha, null, null, false, "not changed");
        foreach (var comparison in create) results[comparison.Ref] = Result(comparison.Ref, null, comparison.ShaOf(winner), null, false, "not changed");

        var backups = _pusher.Push(locked.Cache, target, [.. remove.Select(r => new PlannedPush(r.Backup, loser, null, r.Sha) { Source = loser })], cancellationToken);
        if (backups.Updates.FirstOrDefault(u => !u.Succeeded) is { } backupFailed)
        {
            return Failed(backups.Failure is null ? RefChangeFailure.BackupFailed : RefChangeFailure.Transport,
                $"Pair '{pair.Name}': backing up to {backupFailed.Ref} on {target.Description} failed, so nothing was removed: {backupFailed.Message}", backups.Failure);
        }
        foreach (var (comparison, sha, backupRef) in remove)
        {
            results[comparison.Ref] = Result(comparison.Ref, sha, null, backupRef, false, $"backed up to {backupRef}, not yet removed");
        }

        var deletions = _pusher.Push(locked.Cache, target, [.. remove.Select(r => new PlannedPush(r.Comparison.Ref, loser, r.Sha, null))], cancellationToken);
        foreach (var update in deletions.Updates.Where(u => u.Succeeded))
        {
            var removed = remove.First(r => r.Comparison.Ref == update.Ref);
            results[update.Ref] = Result(update.Ref, removed.Sha, null, removed.Backup, true, $"removed from {loser}; kept at {removed.Backup} on {loser}");
        }
        if (deletions.Updates.FirstOrDefault(u => !u.Succeeded) is { } deleteFailed)
        {
            return Failed(Classify(deletions),
                $"Pair '{pair.Name}': {deleteFailed.Ref} was not removed from {target.Description}: {deleteFailed.Message}. Its backup was made; compare again before repairing.",
                deletions.Failure);
        }

        var creations = _pusher.Push(locked.Cache, target, [.. create.Select(c => new PlannedPush(c.Ref, loser, null, c.ShaOf(winner)))], cancellationToken);
        foreach (var update in creations.Updates)
        {
            results[update.Ref] = Result(update.Ref, null, update.NewSha, null, update.Succeeded,
                update.Succeeded ? $"created on {loser} from {winner}" : $"not created on {loser}: {update.Message}; the next sync creates it");
        }
        if (creations.Updates.FirstOrDefault(u => !u.Succeeded) is { } createFailed)
        {
            return Failed(Classify(creations),
                $"Pair '{pair.Name}': the conflicting refs were removed from {target.Description}, but {createFailed.Ref} was not created there: {createFailed.Message}. The next sync creates it.",
                creations.Failure);
        }
        return Done(null);

        RepairOutcome Failed(RefChangeFailure failure, string message, GitTransportException? inner) =>
            Done(new RefChangeException(failure, message, inner));

        RepairOutcome Done(RefChangeException? error)
        {
            var all = results.Values.OrderBy(r => r.Ref, StringComparer.Ordinal).ToList();
            var own = results.GetValueOrDefault(current.Ref) ?? all.FirstOrDefault();
            return new RepairOutcome(request, current, own, error) { Results = all };
        }

        MirrorRepairResult Result(string refName, string? oldSha, string? newSha, string? backupRef, bool succeeded, string message) => new()
        {
            PairName = pair.Name,
            Ref = refName,
            Winner = winner,
            OldSha = oldSha,
            NewSha = newSha,
            BackupRef = backupRef,
            Succeeded = succeeded,
            Message = message,
        };
    }

    /// <summary>The conflicting ref and every ref linked to it by conflicts (x, x/y, x/z), as compared now.</summary>
    private static List<MirrorRefComparison> ConflictGroup(LockedPair locked, MirrorRefComparison start)
    {
        var group = new List<MirrorRefComparison>();
        var seen = new HashSet<string>(StringComparer.Ordinal) { start.Ref };
        var queue = new Queue<MirrorRefComparison>([start]);
        while (queue.TryDequeue(out var next))
        {
            group.Add(next);
            foreach (var other in next.ConflictsWith)
            {
                if (seen.Add(other) && locked.Find(other) is { } found) queue.Enqueue(found);
            }
        }
        return group;
    }

    private static RefChangeFailure Classify(RefPusher.Report report) =>
        report.LeaseBroken is not null ? RefChangeFailure.Moved
        : report.Failure is not null ? RefChangeFailure.Transport
        : RefChangeFailure.Rejected;

    private static bool SameSha(string? a, string? b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
}
