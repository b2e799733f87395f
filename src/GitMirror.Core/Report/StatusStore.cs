using System.Text.Json;
using System.Text.Json.Serialization;
using GitMirror.Core.Config;
using GitMirror.Core.Unattended;

namespace GitMirror.Core.Report;

/// <summary>
/// The last result of every pair, one JSON file each under <c>&lt;cache&gt;/status/</c>, read by
/// Get-MirrorStatus and the metrics. Files are replaced atomically, so a crash mid-write leaves the
/// previous status; an unreadable file counts as "never ran" (with a warning), never as a crash.
/// </summary>
/// <remarks>
/// Rules of <see cref="Record"/>: UpToDate/Synced set LastSuccess and reset ConsecutiveFailures;
/// Failed increments it; Halted resets it, because a halted run reached both sides (the
/// divergence is reported by DivergedRefs and Healthy, so an alert on failures does not count it
/// twice); Skipped (another run held the lock) changes only Status and LastRun and keeps the
/// previous health, diverged refs and error, which still describe the repositories.
/// The caller holds the pair's lock, so no two writers record the same pair at once.
/// </remarks>
public sealed partial class StatusStore
{
    public const string DirectoryName = "status";

    private readonly string _cacheDir;
    private readonly string _directory;
    private readonly IMirrorLog _log;
    private readonly SecretRedactor _redactor;
    private readonly TimeProvider _time;

    public StatusStore(string cacheDir, IMirrorLog? log = null, SecretRedactor? redactor = null, TimeProvider? time = null)
    {
        _cacheDir = cacheDir;
        _directory = Path.Combine(cacheDir, DirectoryName);
        _log = log ?? NullMirrorLog.Instance;
        _redactor = redactor ?? SecretRedactor.None;
        _time = time ?? TimeProvider.System;
    }

    public string PathFor(string pairName) => Path.Combine(_directory, PairFileName.For(pairName) + ".json");

    /// <summary>The recorded status; Status null and Healthy false when the pair never ran.</summary>
    public MirrorPairStatus Read(string pairName) => ToStatus(pairName, Load(pairName));

    public IReadOnlyList<MirrorPairStatus> ReadAll(IEnumerable<string> pairNames) => pairNames.Select(Read).ToList();

    /// <summary>The recorded status of a pair, naming the organisation it was expanded from.</summary>
    public MirrorPairStatus Read(MirrorPair pair) => ToStatus(pair.Name, Load(pair.Name), pair.Organization);

    public IReadOnlyList<MirrorPairStatus> ReadAll(IEnumerable<MirrorPair> pairs) => pairs.Select(Read).ToList();

    /// <summary>Folds one run's result into the pair's status and stores it; returns the new status.</summary>
    public MirrorPairStatus Record(MirrorSyncResult result)
    {
        var previous = Load(result.PairName) ?? new StatusFile { PairName = result.PairName };
        var ranAt = result.StartTime != default ? result.StartTime.ToUniversalTime() : _time.GetUtcNow();
        var next = result.Status == MirrorSyncStatus.Skipped
            ? previous with { Status = MirrorSyncStatus.Skipped, LastRun = ranAt }
            : Fold(previous, result, ranAt);

        var path = PathFor(result.PairName);
        CacheTrust.EnsureSubdirectory(_cacheDir, DirectoryName);
        CacheTrust.CheckEntry(path);
        AtomicFile.RemoveLeftovers(path, TimeSpan.FromHours(1));
        // Not flushed to disk: after a power cut the file is the old one or unreadable ("never ran", with a
        // warning) until the pair's next run rewrites it, while a poll of many pairs would wait for
        // the disk once per pair (most of a no-op poll's time).
        AtomicFile.WriteAllBytesVolatile(path, JsonSerializer.SerializeToUtf8Bytes(next, StatusJson.Default.StatusFile));
        return ToStatus(result.PairName, next, result.Pair.Organization);
    }

    private StatusFile Fold(StatusFile previous, MirrorSyncResult result, DateTimeOffset ranAt)
    {
        var succeeded = result.Status is MirrorSyncStatus.UpToDate or MirrorSyncStatus.Synced;
        return previous with
        {
            Status = result.Status,
            Healthy = succeeded && result.DivergedRefs.Length == 0 && result.Error is null,
            LastRun = ranAt,
            LastSuccess = succeeded ? ranAt : previous.LastSuccess,
            ConsecutiveFailures = result.Status == MirrorSyncStatus.Failed ? previous.ConsecutiveFailures + 1 : 0,
            DivergedRefs = result.DivergedRefs,
            LastError = _redactor.Redact(result.Error),
        };
    }

    /// <summary>What was last notified for the pair, and the issues open for it; empty when nothing was.</summary>
    public PairNotificationState ReadNotification(string pairName) => Load(pairName) is { } file
        ? new PairNotificationState(file.Notified, file.LastNotificationError, file.GitHubIssue, file.GitLabIssue)
        : PairNotificationState.Empty;

    /// <summary>
    /// Stores what was notified, keeping the rest of the recorded status. The caller holds the pair's
    /// lock, so a cron run, the service and a pwsh session never notify the same change twice.
    /// </summary>
    public void RecordNotification(string pairName, PairNotificationState state)
    {
        var previous = Load(pairName) ?? new StatusFile { PairName = pairName };
        var next = previous with
        {
            Notified = state.Notified,
            LastNotificationError = _redactor.Redact(state.LastNotificationError),
            GitHubIssue = state.GitHubIssue,
            GitLabIssue = state.GitLabIssue,
        };
        var path = PathFor(pairName);
        CacheTrust.EnsureSubdirectory(_cacheDir, DirectoryName);
        CacheTrust.CheckEntry(path);
        AtomicFile.WriteAllBytesVolatile(path, JsonSerializer.SerializeToUtf8Bytes(next, StatusJson.Default.StatusFile));
    }

    private StatusFile? Load(string pairName)
    {
        var path = PathFor(pairName);
        byte[] bytes;
        try
        {
            // Never read through a link planted in the cache: its target's content would be reported.
            ExclusiveFile.RefuseLink(path);
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.Warning($"Cannot read the status of pair '{pairName}' from {path}: {e.Message}. Treating it as never run.");
            return null;
        }

        try
        {
            var file = JsonSerializer.Deserialize(bytes, StatusJson.Default.StatusFile);
            if (file is not null && file.PairName == pairName && file.ConsecutiveFailures >= 0) return file;
        }
        catch (JsonException)
        {
        }
        _log.Warning($"The status file of pair '{pairName}' ({path}) is damaged. Treating the pair as never run; the next run rewrites it.");
        return null;
    }

    private static MirrorPairStatus ToStatus(string pairName, StatusFile? file, string? organization = null) => new()
    {
        PairName = pairName,
        Organization = organization,
        Status = file?.Status,
        Healthy = file?.Healthy ?? false,
        LastRun = file?.LastRun,
        LastSuccess = file?.LastSuccess,
        ConsecutiveFailures = file?.ConsecutiveFailures ?? 0,
        DivergedRefs = file?.DivergedRefs ?? [],
        LastError = file?.LastError,
        LastNotificationError = file?.LastNotificationError,
    };

    /// <summary>The file format (version 1); kept apart from the public MirrorPairStatus so either can evolve.</summary>
    private sealed record StatusFile
    {
        public int Version { get; init; } = 1;

        public required string PairName { get; init; }

        public MirrorSyncStatus? Status { get; init; }

        public bool Healthy { get; init; }

        public DateTimeOffset? LastRun { get; init; }

        public DateTimeOffset? LastSuccess { get; init; }

        public int ConsecutiveFailures { get; init; }

        public string[] DivergedRefs { get; init; } = [];

        public string? LastError { get; init; }

        /// <summary>The state last notified (halted or failed); null: nothing to recover from.</summary>
        public string? Notified { get; init; }

        public string? LastNotificationError { get; init; }

        public long? GitHubIssue { get; init; }

        public long? GitLabIssue { get; init; }
    }

    /// <summary>
    /// The file's serializer, generated at build time: no reflection or emitted code (and none of its
    /// JIT-compiling) at every sync, which writes the file.
    /// </summary>
    [JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true, WriteIndented = true)]
    [JsonSerializable(typeof(StatusFile))]
    private sealed partial class StatusJson : JsonSerializerContext;
}

/// <summary>
/// A pair's notification state in its status file: the state last notified (<c>halted</c>,
/// <c>failed</c>, or null when healthy or never told), the last delivery error, and the issues
/// opened for a halt (GitHub issue number, GitLab issue iid).
/// </summary>
public sealed record PairNotificationState(string? Notified, string? LastNotificationError, long? GitHubIssue, long? GitLabIssue)
{
    public static PairNotificationState Empty { get; } = new(null, null, null, null);
}
