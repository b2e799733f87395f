using System.Diagnostics;
using System.Text;

namespace GitMirror.Core.Transport;

/// <summary>What a git command printed and how it ended.</summary>
public sealed record GitProcessResult(int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>The last <paramref name="count"/> non-empty lines of stderr on one line, for a message.</summary>
    public string LastErrorLines(int count = 3)
    {
        var lines = StandardError.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).TakeLast(count).ToList();
        return lines.Count == 0 ? "(no message)" : string.Join(" ", lines);
    }
}

/// <summary>
/// Runs the git CLI, which moves the bytes of every fetch and push: protocol v2, multi-threaded pack
/// building, streaming both ways, so memory stays bounded whatever the repository's size.
/// git runs with none of the user's or the system's configuration (no credential helpers, no
/// prompts, no hooks, no tracing that could print a header), with the settings it is given only
/// through its environment: a token never appears in a process's arguments. Cancelling kills the
/// whole process tree (git, git-remote-http, pack-objects) at once.
/// </summary>
public static partial class GitProcess
{
    /// <summary>How much of stdout or stderr is kept; the rest is dropped (porcelain output is one line a ref).</summary>
    private const int MaxCapturedChars = 4 * 1024 * 1024;

    /// <summary>The git executable: GITMIRROR_GIT when set (a git in an unusual place), else "git" from PATH.</summary>
    public static string Executable { get; } = Environment.GetEnvironmentVariable("GITMIRROR_GIT") is { Length: > 0 } git ? git : "git";

    /// <summary>
    /// Runs <c>git <paramref name="arguments"/></c> in <paramref name="repository"/> (null: no repository)
    /// with <paramref name="config"/> as configuration (passed as GIT_CONFIG_KEY_n/VALUE_n).
    /// </summary>
    /// <param name="silenceLimit">
    /// For transfers: the process tree is killed when git prints nothing for this long (run it with
    /// <c>--progress</c>). curl's low-speed limit covers a silent connection; this covers git waiting
    /// on itself, as git 2.39's push does forever when a server's answer ends early.
    /// </param>
    /// <exception cref="OperationCanceledException">Cancelled; the process tree is gone when this is thrown.</exception>
    /// <exception cref="GitTransportException">git could not be started, or stayed silent past <paramref name="silenceLimit"/>.</exception>
    public static async Task<GitProcessResult> RunAsync(string? repository, IReadOnlyList<string> arguments,
        IReadOnlyList<KeyValuePair<string, string>> config, string? standardInput, CancellationToken cancellationToken,
        TimeSpan? silenceLimit = null)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var process = Start(repository, arguments, config);
        await using var kill = cancellationToken.Register(() => KillTree(process));
        var activity = new ActivityClock();
        var stdout = CaptureAsync(process.StandardOutput, activity);
        var stderr = CaptureAsync(process.StandardError, activity);
        using var watchdogStop = new CancellationTokenSource();
        var silent = silenceLimit is { } limit ? WatchAsync(process, activity, limit, watchdogStop.Token) : Task.FromResult(false);
        try
        {
            if (standardInput is not null) await process.StandardInput.WriteAsync(standardInput).ConfigureAwait(false);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // git exited before reading all of it; its exit code and stderr say why.
        }
        await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        await watchdogStop.CancelAsync().ConfigureAwait(false);
        var result = new GitProcessResult(process.ExitCode, await stdout.ConfigureAwait(false), WithoutProgress(await stderr.ConfigureAwait(false)));
        cancellationToken.ThrowIfCancellationRequested();
        if (await silent.ConfigureAwait(false))
        {
            throw new GitTransportException(TransportFailureKind.Timeout,
                $"git {arguments.FirstOrDefault()} made no progress for {silenceLimit!.Value.TotalSeconds:0} s and was stopped{(result.StandardError.Length > 0 ? $" ({result.LastErrorLines(1)})" : "")}");
        }
        return result;
    }

    /// <summary>When git last printed anything.</summary>
    private sealed class ActivityClock
    {
        private long _last = Environment.TickCount64;

        public void Touch() => Volatile.Write(ref _last, Environment.TickCount64);

        public TimeSpan Silence => TimeSpan.FromMilliseconds(Environment.TickCount64 - Volatile.Read(ref _last));
    }

    /// <summary>True when it killed the process tree for staying silent too long.</summary>
    private static async Task<bool> WatchAsync(Process process, ActivityClock activity, TimeSpan limit, CancellationToken stop)
    {
        var step = TimeSpan.FromMilliseconds(Math.Clamp(limit.TotalMilliseconds / 4, 50, 1000));
        try
        {
            while (!process.HasExited)
            {
                await Task.Delay(step, stop).ConfigureAwait(false);
                if (activity.Silence <= limit) continue;
                KillTree(process);
                return true;
            }
        }
        catch (OperationCanceledException)
        {
            // git ended by itself
        }
        return false;
    }

    /// <summary>
    /// stderr without git's progress meters ("Writing objects:  50% (1/2)", "remote: Counting objects: 3, done."),
    /// which only keep the watchdog fed: what is left is what git and the server had to say.
    /// </summary>
    private static string WithoutProgress(string stderr)
    {
        if (stderr.Length == 0) return stderr;
        var lines = stderr.Split('\n').Select(l => l[(l.LastIndexOf('\r') + 1)..]).Where(l => !IsProgressLine(l));
        return string.Join('\n', lines);
    }

    /// <summary>A line of a progress meter, git's or the server's ("remote: Resolving deltas: 100% (2/2), done.").</summary>
    internal static bool IsProgressLine(string line) => ProgressLine().IsMatch(line);

    [System.Text.RegularExpressions.GeneratedRegex(@"^(remote: )?[A-Z][a-z]+( [a-z]+)*: +(\d+% \(\d+/\d+\)|\d+)(,.*)?\s*$")]
    private static partial System.Text.RegularExpressions.Regex ProgressLine();

    /// <summary>
    /// Starts <c>git <paramref name="arguments"/></c> like <see cref="RunAsync"/> (same executable,
    /// isolation and settings) with its standard streams left to the caller, for output that is
    /// streamed rather than kept (cat-file --batch, rev-list). The caller disposes it, and on
    /// cancellation ends it with <see cref="KillTree"/>.
    /// </summary>
    /// <exception cref="GitTransportException">git could not be started.</exception>
    public static Process Start(string? repository, IReadOnlyList<string> arguments, IReadOnlyList<KeyValuePair<string, string>>? config = null)
    {
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        if (repository is not null)
        {
            start.ArgumentList.Add("--git-dir");
            start.ArgumentList.Add(repository);
        }
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        Isolate(start.Environment, config ?? []);

        var process = new Process { StartInfo = start };
        try
        {
            process.Start();
            return process;
        }
        catch (System.ComponentModel.Win32Exception e) when (e.NativeErrorCode == (OperatingSystem.IsWindows() ? 206 : 7))
        {
            // E2BIG, or Windows' ERROR_FILENAME_EXCED_RANGE: git is there, the command line is not runnable.
            process.Dispose();
            throw new GitTransportException(TransportFailureKind.Protocol,
                $"cannot run git {arguments.FirstOrDefault()}: its command line is too long for this system " +
                $"({start.ArgumentList.Sum(a => Encoding.UTF8.GetByteCount(a) + 1):N0} bytes of arguments; {e.Message}).", inner: e);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            process.Dispose();
            throw new GitTransportException(TransportFailureKind.Protocol,
                $"cannot run git ('{Executable}'): {e.Message}. GitMirror needs the git CLI 2.39 or later on PATH (or GITMIRROR_GIT).", inner: e);
        }
    }

    /// <summary>
    /// Leaves git nothing of the caller's environment that could change what it does or print a
    /// secret (GIT_DIR, GIT_TRACE_CURL, GIT_ASKPASS, GIT_CONFIG_*…) and no secret variable at all
    /// (<see cref="ChildEnvironment"/>), and gives it only our settings.
    /// </summary>
    private static void Isolate(IDictionary<string, string?> environment, IReadOnlyList<KeyValuePair<string, string>> config)
    {
        foreach (var name in environment.Keys.Where(k => k.StartsWith("GIT_", StringComparison.OrdinalIgnoreCase)
                     || k.Equals("SSH_ASKPASS", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            environment.Remove(name);
        }
        ChildEnvironment.Strip(environment);
        environment["GIT_CONFIG_NOSYSTEM"] = "1";
        environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        environment["GIT_TERMINAL_PROMPT"] = "0";
        environment["GIT_ASKPASS"] = "";
        environment["GIT_NO_REPLACE_OBJECTS"] = "1";
        environment["LC_ALL"] = "C"; // messages we recognise ("couldn't find remote ref") are not translated
        environment["LANGUAGE"] = "C";

        var settings = BaseConfig.Concat(config).ToList();
        environment["GIT_CONFIG_COUNT"] = settings.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        for (var i = 0; i < settings.Count; i++)
        {
            environment[$"GIT_CONFIG_KEY_{i}"] = settings[i].Key;
            environment[$"GIT_CONFIG_VALUE_{i}"] = settings[i].Value;
        }
    }

    /// <summary>Settings of every git GitMirror runs; they override the cache repository's own config too.</summary>
    private static readonly KeyValuePair<string, string>[] BaseConfig =
    [
        new("credential.helper", ""),       // an empty value clears any helper list: never ask one, never store in one
        new("core.askPass", ""),
        new("core.hooksPath", "/dev/null"), // no hook of the cache repository runs
        new("protocol.version", "2"),
        new("gc.auto", "0"),                // consolidation is ours (MirrorCache.Consolidate), never in the middle of a sync
        new("maintenance.auto", "false"),
        new("fetch.writeCommitGraph", "false"),
        new("advice.pushUpdateRejected", "false"),
    ];

    private static async Task<string> CaptureAsync(StreamReader reader, ActivityClock activity)
    {
        var text = new StringBuilder();
        var buffer = new char[16 * 1024];
        int read;
        while ((read = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            activity.Touch();
            if (text.Length < MaxCapturedChars) text.Append(buffer, 0, Math.Min(read, MaxCapturedChars - text.Length));
        }
        return text.ToString();
    }

    /// <summary>Ends a git started by <see cref="Start"/> and everything it started; nothing when it has exited.</summary>
    public static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already exited
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // exiting right now
        }
    }
}
