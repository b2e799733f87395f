using System.Text.Json;
using GitMirror.Core.Unattended;

namespace GitMirror.Core.Report;

/// <summary>
/// The <c>-LogPath</c> file: one JSON object per line, one line per ref update and one per pair
/// result, always with the same keys (absent values are null). Safe to call from many pairs in
/// parallel and from overlapping runs on one machine; free text passes through the redactor.
/// </summary>
public sealed class JsonLineLog
{
    /// <summary>The keys of every line, in order.</summary>
    public static readonly IReadOnlyList<string> Keys =
        ["time", "runId", "pair", "ref", "action", "target", "oldSha", "newSha", "status", "durationMs", "error"];

    /// <summary>Action of a pair's result line.</summary>
    public const string PairAction = "sync";

    /// <summary>Action of a ref line that created the ref on the target.</summary>
    public const string CreateAction = "create";

    /// <summary>Action of a ref line that moved an existing ref.</summary>
    public const string UpdateAction = "update";

    private static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(10);

    private readonly object _gate = new();
    private readonly SecretRedactor _redactor;
    private readonly TimeProvider _time;

    public JsonLineLog(string path, string runId, SecretRedactor redactor, TimeProvider? time = null)
    {
        Path = System.IO.Path.GetFullPath(path);
        RunId = runId;
        _redactor = redactor;
        _time = time ?? TimeProvider.System;
    }

    public string Path { get; }

    /// <summary>Ties the lines of one invocation together (and to its metrics and error records).</summary>
    public string RunId { get; }

    public static string NewRunId() => Guid.NewGuid().ToString("N")[..12];

    /// <summary>One line per ref update of the result, then the pair's line.</summary>
    public void Write(MirrorSyncResult result)
    {
        foreach (var update in result.Updates) WriteUpdate(result.PairName, update);
        WriteResult(result);
    }

    public void WriteUpdate(string pairName, MirrorRefUpdate update) => Append(new Line(
        pairName,
        update.Ref,
        update.OldSha is null ? CreateAction : UpdateAction,
        update.Target.ToString(),
        update.OldSha,
        update.NewSha,
        update.Succeeded ? "Succeeded" : "Failed",
        null,
        update.Succeeded ? null : update.Message));

    public void WriteResult(MirrorSyncResult result) => Append(new Line(
        result.PairName, null, PairAction, null, null, null, result.Status.ToString(),
        (long)result.Duration.TotalMilliseconds, result.Error));

    /// <summary>
    /// A line of the mirror service (design.md §8) with the same keys: <paramref name="action"/> is
    /// event, refused, forwarded or ignored; <paramref name="status"/> the HTTP answer or outcome.
    /// </summary>
    public void WriteServiceLine(string? pair, string? @ref, string action, string? target, string? oldSha, string? newSha,
        string status, string? error) =>
        Append(new Line(pair, @ref, action, target, oldSha, newSha, status, null, error));

    private void Append(Line line)
    {
        var bytes = Serialize(line);
        lock (_gate)
        {
            using var stream = OpenForAppend();
            // One write of the whole line, then flush: readers and crashes never see half a line.
            stream.Write(bytes);
            stream.Flush();
        }
    }

    /// <summary>
    /// Opens the file exclusively for each line: .NET appends at its own remembered offset, not with
    /// O_APPEND, so two processes sharing the file (an overlapping cron run) would overwrite each
    /// other's lines without the OS lock.
    /// </summary>
    private FileStream OpenForAppend()
    {
        var started = _time.GetTimestamp();
        while (true)
        {
            var stream = ExclusiveFile.TryOpen(Path, FileMode.Append, FileAccess.Write);
            if (stream is not null)
            {
                TightenOnce(stream);
                return stream;
            }
            if (_time.GetElapsedTime(started) > BusyTimeout)
            {
                throw new IOException($"The log file {Path} stayed locked by another process for {BusyTimeout.TotalSeconds:0} s.");
            }
            Thread.Sleep(2);
        }
    }

    private bool _tightened;

    /// <summary>
    /// The log names every pair and error: a file that already existed readable or writable by
    /// others (made by hand, or under a loose umask) is made owner-only, as a new one is created.
    /// </summary>
    private void TightenOnce(FileStream stream)
    {
        if (OperatingSystem.IsWindows()) return;
        if (_tightened) return;
        _tightened = true;
        try
        {
            var mode = File.GetUnixFileMode(stream.SafeFileHandle);
            var owner = mode & (UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            if (mode != owner) File.SetUnixFileMode(stream.SafeFileHandle, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not ours to change (another user's file we may append to): OutputFile.Problem's checks stand.
        }
    }

    private byte[] Serialize(Line line)
    {
        var buffer = new MemoryStream(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("time", _time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'"));
            json.WriteString("runId", RunId);
            json.WriteString("pair", line.Pair);
            json.WriteString("ref", line.Ref);
            json.WriteString("action", line.Action);
            json.WriteString("target", line.Target);
            json.WriteString("oldSha", line.OldSha);
            json.WriteString("newSha", line.NewSha);
            json.WriteString("status", line.Status);
            if (line.DurationMs is { } ms) json.WriteNumber("durationMs", ms);
            else json.WriteNull("durationMs");
            json.WriteString("error", _redactor.Redact(line.Error));
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private sealed record Line(string? Pair, string? Ref, string Action, string? Target, string? OldSha,
        string? NewSha, string Status, long? DurationMs, string? Error);
}
