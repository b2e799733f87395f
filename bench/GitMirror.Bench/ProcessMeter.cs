using System.Diagnostics;

namespace GitMirror.Bench;

/// <summary>Wall time and memory of one command: the process itself and its whole tree of children.</summary>
public sealed record Measurement(double Seconds, long PeakTreeRss, long PeakOwnRss)
{
    public static Measurement operator +(Measurement a, Measurement b) =>
        new(a.Seconds + b.Seconds, Math.Max(a.PeakTreeRss, b.PeakTreeRss), Math.Max(a.PeakOwnRss, b.PeakOwnRss));

    public static readonly Measurement Zero = new(0, 0, 0);
}

/// <summary>
/// Runs a command and samples, every 20 ms, the resident memory of the process and of every process
/// below it (git fetch runs git-remote-http and index-pack side by side: their sum is what the machine
/// must hold). Linux /proc only; elsewhere memory reads as 0.
/// </summary>
public static class ProcessMeter
{
    private static readonly long PageSize = Environment.SystemPageSize;

    public static Measurement Run(string file, IEnumerable<string> args, string workDir, IDictionary<string, string>? env = null, int[]? okExitCodes = null)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        psi.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        psi.Environment["GIT_TERMINAL_PROMPT"] = "0";
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(psi)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        long peakTree = 0, peakOwn = 0;
        while (!process.WaitForExit(20))
        {
            var (own, tree) = Sample(process.Id);
            peakOwn = Math.Max(peakOwn, own);
            peakTree = Math.Max(peakTree, tree);
        }
        process.WaitForExit();
        var seconds = clock.Elapsed.TotalSeconds;
        if (!(okExitCodes ?? [0]).Contains(process.ExitCode))
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', psi.ArgumentList)} exited {process.ExitCode}:\n{stderr.Result}{stdout.Result}");
        }
        return new Measurement(seconds, peakTree, peakOwn);
    }

    /// <summary>Resident bytes of <paramref name="root"/> and of it plus all its descendants.</summary>
    private static (long Own, long Tree) Sample(int root)
    {
        if (!OperatingSystem.IsLinux()) return (0, 0);
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            var parent = ParentOf(pid);
            if (parent <= 0) continue;
            if (!children.TryGetValue(parent, out var list)) children[parent] = list = [];
            list.Add(pid);
        }
        var own = Resident(root);
        long tree = 0;
        var pending = new Stack<int>([root]);
        while (pending.Count > 0)
        {
            var pid = pending.Pop();
            tree += pid == root ? own : Resident(pid);
            if (children.TryGetValue(pid, out var list)) foreach (var child in list) pending.Push(child);
        }
        return (own, tree);
    }

    private static int ParentOf(int pid)
    {
        try
        {
            // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return -1; // gone meanwhile
        }
    }

    private static long Resident(int pid)
    {
        try
        {
            var statm = File.ReadAllText($"/proc/{pid}/statm").Split(' ');
            return long.Parse(statm[1]) * PageSize;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return 0;
        }
    }
}
