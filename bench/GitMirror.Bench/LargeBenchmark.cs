using System.Diagnostics;
using System.Globalization;
using GitMirror.Core;
using GitMirror.Core.Config;
using GitMirror.Core.Engine;
using GitMirror.Testing;

namespace GitMirror.Bench;

/// <summary>
/// The `large` profile (issue 9): GitMirror against the git CLI on repositories shaped like big real
/// ones, over one local smart-HTTP server (git http-backend), in one run. GitMirror runs as a user
/// runs it, through the `gitmirror` host, unless a row says "engine" (in-process, no host start-up).
/// Prints a Markdown table: each ratio with its target and PASS/MISS.
/// </summary>
public sealed class LargeBenchmark : IDisposable
{
    private const string Token = "bench-token-0123456789";
    private const string GitHubTokenEnv = "BENCH_GH_TOKEN";
    private const string GitLabTokenEnv = "BENCH_GL_TOKEN";

    private readonly LargeOptions _options;
    private readonly string _work;
    private readonly GitHttpServer _server;
    private readonly Dictionary<string, string> _gitAuth = GitHttpServer.GitAuthEnvironment("x-access-token", Token);
    private readonly Dictionary<string, string> _hostEnv = new() { [GitHubTokenEnv] = Token, [GitLabTokenEnv] = Token };
    private readonly List<string> _rows = [];
    private int _newCommits;

    public LargeBenchmark(LargeOptions options)
    {
        _options = options;
        _work = Directory.CreateTempSubdirectory("gitmirror-bench-").FullName;
        Directory.CreateDirectory(Path.Combine(_work, "github", "org"));
        Directory.CreateDirectory(Path.Combine(_work, "gitlab", "group"));
        Directory.CreateDirectory(Path.Combine(_work, "cli"));
        _server = GitHttpServer.Start(_work);
        _server.AcceptedTokens.Add(Token);
        Environment.SetEnvironmentVariable(GitHubTokenEnv, Token);
        Environment.SetEnvironmentVariable(GitLabTokenEnv, Token);
    }

    public static int RunProfile(LargeOptions options)
    {
        Console.WriteLine($"gitmirror host: {Path.GetFileName(options.Host)}; data directory: {options.DataDirectory}");
        var large = options.Runs12 || options.Sections.Contains(3) ? LargeRepository.Ensure(options.DataDirectory, RepositoryShape.Large, Console.Out) : null;
        var medium = options.Runs12 ? LargeRepository.Ensure(options.DataDirectory, RepositoryShape.Medium, Console.Out) : null;
        var huge = options.HugePushMegabytes > 0 ? LargeRepository.Ensure(options.DataDirectory, RepositoryShape.Huge(options.HugePushMegabytes), Console.Out) : null;
        using var bench = new LargeBenchmark(options);
        return bench.Run(large, medium, huge);
    }

    private int Run(string? large, string? medium, string? huge)
    {
        if (large is not null) Console.WriteLine($"{RepositoryShape.Large.Name}: {LargeRepository.Describe(large)}");
        if (medium is not null) Console.WriteLine($"{RepositoryShape.Medium.Name}: {LargeRepository.Describe(medium)}");
        if (huge is not null) Console.WriteLine($"{Path.GetFileName(huge)}: {LargeRepository.Describe(huge)}");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {TotalMemory()}; load average at start: {LoadAverage()}");
        Row("operation", "GitMirror", "git CLI", "ratio", "target", "result");
        Row("---", "---:", "---:", "---:", "---", "---");
        if (large is not null && medium is not null) InitialAndIncremental(large, medium);
        if (large is not null && _options.Sections.Contains(3)) Polls(large);

        // 4. A very large push: GitMirror's own memory must stay bounded.
        if (huge is not null) HugePush(huge);
        else Row("4. 3 GB push, GitMirror's own peak RSS", "not run", "", "", "< 500 MB", "(--huge-push)");

        // 5. Packs in the cache after many incremental syncs.
        if (_options.Sections.Contains(5)) PacksAfterSyncs(_options.Syncs);

        Console.WriteLine();
        Console.WriteLine($"load average at end: {LoadAverage()}");
        return 0;
    }

    /// <summary>
    /// `large --profile`: where an increment's time goes. The 10k repository is mirrored untimed, then each
    /// run adds one commit and syncs in-process with a time-stamped verbose log, then runs the CLI's delta.
    /// </summary>
    public static int Profile(LargeOptions options)
    {
        var medium = LargeRepository.Ensure(options.DataDirectory, RepositoryShape.Medium, Console.Out);
        using var bench = new LargeBenchmark(options);
        const string name = "large-10k";
        bench.AddSource(name, medium);
        bench.WriteConfig("profile.yaml", "cache-profile", [name]);
        var pair = ConfigLoader.Load(Path.Combine(bench._work, "profile.yaml")).Pairs.Single();
        EngineSync(pair, MirrorSyncStatus.Synced);
        bench.CliInitial(name);
        var clock = Stopwatch.StartNew();
        var log = new TimedLog(clock);
        for (var run = 0; run < options.Runs; run++)
        {
            bench.AddCommit(bench.Source(name));
            clock.Restart();
            var outcome = new MirrorEngine(log).SyncAsync(pair, _ => true, CancellationToken.None).GetAwaiter().GetResult();
            Console.WriteLine($"{clock.Elapsed.TotalMilliseconds,7:0} ms  engine done: {outcome.Result.Status} {outcome.Result.Error}");
            var fetch = bench.GitMeasured(bench.Clone(name), "fetch", "--quiet", bench._server.UrlOf("github/org/" + name), "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*");
            var push = bench.GitMeasured(bench.Clone(name), "push", "--quiet", bench._server.UrlOf("gitlab/group/cli-" + name), "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*");
            Console.WriteLine($"git CLI: fetch {fetch.Seconds * 1000:0} ms, push {push.Seconds * 1000:0} ms");
        }
        return 0;
    }

    private sealed class TimedLog(Stopwatch clock) : IMirrorLog
    {
        public void Verbose(string message) => Console.WriteLine($"{clock.Elapsed.TotalMilliseconds,7:0} ms  {message}");

        public void Warning(string message) => Verbose("WARNING: " + message);
    }

    private void InitialAndIncremental(string large, string medium)
    {

        var sources = new Dictionary<string, string> { ["large-80k"] = large, ["large-10k"] = medium };
        foreach (var (name, cached) in sources) AddSource(name, cached);
        WriteConfig("large.yaml", "cache-large", sources.Keys);

        // 1. Initial sync into an empty side, on the 80k repository (the 10k one is synced untimed: it is
        //    only needed warm for the increments).
        HostSync("large.yaml", "-Name large-10k");
        CliInitial("large-10k");
        var cli = CliInitial("large-80k");
        FlushDirtyPages();
        var mirror = HostSync("large.yaml", "-Name large-80k");
        SameRefs("large-80k");
        Compare("1. initial sync into an empty side, 80k commits: time", mirror.Seconds, cli.Seconds, "s", 1.0);
        Compare("1. initial sync, peak RSS incl. child processes", mirror.PeakTreeRss / 1e6, cli.PeakTreeRss / 1e6, "MB", 1.2);

        // 2. One new commit, then sync: through the host, and the engine alone (what the host adds is
        //    start-up); on 10k and 80k commits for flatness.
        var incremental = new Dictionary<string, double>();
        foreach (var name in new[] { "large-10k", "large-80k" })
        {
            var (host, engine, git) = (new List<double>(), new List<double>(), new List<double>());
            var pair = ConfigLoader.Load(Path.Combine(_work, "large.yaml")).Pairs.Single(p => p.Name == name);
            for (var run = 0; run < _options.Runs; run++)
            {
                AddCommit(Source(name));
                host.Add(HostSync("large.yaml", $"-Name {name}").Seconds);
                git.Add(CliDelta(name).Seconds);
                AddCommit(Source(name));
                engine.Add(EngineSync(pair, MirrorSyncStatus.Synced));
                git.Add(CliDelta(name).Seconds);
            }
            SameRefs(name);
            var commits = name[6..];
            Compare($"2. one new commit, then sync, {commits} (host)", Median(host), Median(git), "s", 1.5);
            Compare($"2. one new commit, then sync, {commits} (engine)", Median(engine), Median(git), "s", 1.5);
            incremental[name] = Median(engine);
        }
        Compare("2. flatness: 80k / 10k, one new commit (engine)", incremental["large-80k"], incremental["large-10k"], "s", 1.2, ratioOnly: true);
    }

    private void Polls(string large)
    {
        if (!File.Exists(Path.Combine(_work, "large.yaml")))
        {
            AddSource("large-80k", large);
            WriteConfig("large.yaml", "cache-large", ["large-80k"]);
            HostSync("large.yaml", "-Name large-80k");
        }

        // A no-op poll of one pair through the host: git ls-remote of both sides plus start-up.
        var startup = Median(Repeat(() => ProcessMeter.Run(_options.Host, ["$null"], _work, _hostEnv).Seconds));
        var onePoll = Median(Repeat(() => HostSync("large.yaml", "-Name large-80k").Seconds));
        var oneLsRemote = Median(Repeat(() => LsRemoteBoth(["large-80k"])));
        Compare("no-op poll of the 80k pair (host)", onePoll, oneLsRemote + startup, "s", 1.0, note: $"CLI column: ls-remote both sides {oneLsRemote:0.00} s + host start-up {startup:0.00} s");

        // 3. A no-op poll of 200 in-sync pairs.
        var pairs = SmallPairs(_options.Pairs);
        HostSync("poll.yaml", "-All");
        var sequential = Median(Repeat(() => HostSync("poll.yaml", "-All").Seconds));
        var parallel = Median(Repeat(() => HostSync("poll.yaml", "-All -ThrottleLimit 8").Seconds));
        var lsRemote = Median(Repeat(() => LsRemoteBoth(pairs)));
        Compare($"3. no-op poll, {pairs.Count} pairs, sequential", sequential, lsRemote, "s", 1.0);
        Compare($"3. no-op poll, {pairs.Count} pairs, -ThrottleLimit 8", parallel, lsRemote, "s", 0.25);
    }

    private void HugePush(string huge)
    {
        var name = Path.GetFileNameWithoutExtension(huge).Split('-')[0] + "-push";
        AddSource(name, huge);
        WriteConfig("huge.yaml", "cache-huge", [name]);
        var mb = _options.HugePushMegabytes;
        Measurement mirror;
        try
        {
            mirror = HostSync("huge.yaml", $"-Name {name}");
            SameRefs(name);
        }
        catch (InvalidOperationException e)
        {
            Row($"4. {mb / 1024.0:0.#} GB push", "failed", "", "", "< 500 MB", "MISS");
            Console.WriteLine(e.Message);
            return;
        }
        Row($"4. {mb / 1024.0:0.#} GB push, GitMirror's own peak RSS ({mirror.Seconds:0} s; tree {mirror.PeakTreeRss / 1e6:N0} MB)",
            $"{mirror.PeakOwnRss / 1e6:N0} MB", "", "", "< 500 MB", mirror.PeakOwnRss < 500e6 ? "PASS" : "MISS");
        Directory.Delete(Path.Combine(_work, "cache-huge"), recursive: true);
    }

    private void PacksAfterSyncs(int syncs)
    {
        const string name = "churn";
        Git.Run(_work, "init", "--bare", "--quiet", Source(name));
        Git.Run(_work, "init", "--bare", "--quiet", Target(name));
        AddCommit(Source(name));
        WriteConfig("churn.yaml", "cache-churn", [name]);
        var pair = ConfigLoader.Load(Path.Combine(_work, "churn.yaml")).Pairs.Single();
        EngineSync(pair, MirrorSyncStatus.Synced);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < syncs; i++)
        {
            AddCommit(Source(name));
            EngineSync(pair, MirrorSyncStatus.Synced);
        }
        var packs = Directory.GetFiles(pair.CachePath, "*.pack", SearchOption.AllDirectories).Length;
        Row($"5. packs in the cache after {syncs:N0} incremental syncs (engine, {clock.Elapsed.TotalSeconds / syncs:0.00} s a sync)",
            packs.ToString(CultureInfo.InvariantCulture), "", "", "≤ 50", packs <= 50 ? "PASS" : "MISS");
    }

    // ---- GitMirror ----

    private Measurement HostSync(string config, string selection) =>
        ProcessMeter.Run(_options.Host, [$"Sync-MirrorPair {selection} -Path {Path.Combine(_work, config)}"], _work, _hostEnv);

    private static double EngineSync(MirrorPair pair, MirrorSyncStatus expected)
    {
        var engine = new MirrorEngine(NullMirrorLog.Instance);
        var clock = Stopwatch.StartNew();
        var outcome = engine.SyncAsync(pair, _ => true, CancellationToken.None).GetAwaiter().GetResult();
        if (outcome.Result.Status != expected) throw new InvalidOperationException($"{pair.Name}: expected {expected}, got {outcome.Result.Status}: {outcome.Result.Error}");
        return clock.Elapsed.TotalSeconds;
    }

    // ---- git CLI ----

    /// <summary>The CLI's initial sync: fetch heads and tags into an empty repository, push them to an empty side.</summary>
    private Measurement CliInitial(string name)
    {
        // The CLI goes first: read the source once so that it, too, finds the pack in the page cache
        // (a cold 550 MB read once made the CLI's initial sync 183 s against 127 s).
        WarmPageCache(Source(name));
        var clone = Clone(name);
        Git.Run(_work, "init", "--bare", "--quiet", clone);
        Git.Run(_work, "init", "--bare", "--quiet", Target("cli-" + name));
        FlushDirtyPages();
        var fetch = GitMeasured(clone, "fetch", "--quiet", _server.UrlOf("github/org/" + name), "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*");
        var push = GitMeasured(clone, "push", "--quiet", _server.UrlOf("gitlab/group/cli-" + name), "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*");
        Console.Error.WriteLine($"git CLI initial sync of {name}: fetch {fetch.Seconds:0.00} s, push {push.Seconds:0.00} s");
        return fetch + push;
    }

    /// <summary>The CLI's increment, from the warm clone: fetch what is new, push it on.</summary>
    private Measurement CliDelta(string name) =>
        GitMeasured(Clone(name), "fetch", "--quiet", _server.UrlOf("github/org/" + name), "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*")
        + GitMeasured(Clone(name), "push", "--quiet", _server.UrlOf("gitlab/group/cli-" + name), "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*");

    private double LsRemoteBoth(IEnumerable<string> names)
    {
        var total = 0.0;
        foreach (var name in names)
        {
            total += GitMeasured(_work, "ls-remote", "--heads", "--tags", _server.UrlOf("github/org/" + name)).Seconds;
            total += GitMeasured(_work, "ls-remote", "--heads", "--tags", _server.UrlOf("gitlab/group/" + name)).Seconds;
        }
        return total;
    }

    private Measurement GitMeasured(string workDir, params string[] args) => ProcessMeter.Run("git", args, workDir, _gitAuth);

    // ---- the world ----

    private string Source(string name) => Path.Combine(_work, "github", "org", name + ".git");

    private string Target(string name) => Path.Combine(_work, "gitlab", "group", name + ".git");

    private string Clone(string name) => Path.Combine(_work, "cli", name + ".git");

    /// <summary>
    /// Writes every dirty page to disk (sync) before a timed initial sync, so that neither side pays
    /// for the one before it: the CLI's fetch and push leave over a gigabyte being written back while
    /// GitMirror's run, which comes next, writes as much again.
    /// </summary>
    private static void FlushDirtyPages()
    {
        var (code, _, error) = Run("sync");
        if (code != 0) throw new InvalidOperationException($"sync failed: {error}");
    }

    private static void WarmPageCache(string directory)
    {
        var buffer = new byte[1 << 20];
        foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            using var stream = File.OpenRead(file);
            while (stream.Read(buffer, 0, buffer.Length) > 0)
            {
            }
        }
    }

    /// <summary>
    /// Serves a cached repository as org/NAME, with an empty group/NAME beside it. Hard links: pack files
    /// are never changed in place, so new commits land in this run's copy only.
    /// </summary>
    private void AddSource(string name, string cached)
    {
        var copy = Source(name);
        var (code, _, _) = Run("cp", "-al", cached, copy);
        if (code != 0)
        {
            if (Directory.Exists(copy)) Directory.Delete(copy, true);
            Run("cp", "-a", cached, copy);
        }
        File.Delete(Path.Combine(copy, "gitmirror-bench-complete"));
        Git.Run(_work, "init", "--bare", "--quiet", Target(name));
    }

    /// <summary>PAIRS pairs of one-commit repositories, one side empty; a poll.yaml naming them.</summary>
    private List<string> SmallPairs(int count)
    {
        var names = Enumerable.Range(0, count).Select(i => $"p{i:D3}").ToList();
        foreach (var name in names)
        {
            Git.Run(_work, "init", "--bare", "--quiet", Source(name));
            Git.Run(_work, "init", "--bare", "--quiet", Target(name));
            AddCommit(Source(name));
        }
        WriteConfig("poll.yaml", "cache-poll", names);
        return names;
    }

    private void WriteConfig(string file, string cache, IEnumerable<string> names)
    {
        var yaml = new System.Text.StringBuilder();
        yaml.AppendLine("version: 1");
        yaml.AppendLine($"github:\n  url: {_server.BaseUrl}/github\n  tokenEnv: {GitHubTokenEnv}");
        yaml.AppendLine($"gitlab:\n  url: {_server.BaseUrl}/gitlab\n  tokenEnv: {GitLabTokenEnv}");
        yaml.AppendLine($"cache: {Path.Combine(_work, cache)}");
        yaml.AppendLine("repos:");
        foreach (var name in names) yaml.AppendLine($"  - github: org/{name}\n    gitlab: group/{name}\n    name: {name}");
        File.WriteAllText(Path.Combine(_work, file), yaml.ToString());
    }

    /// <summary>One more commit on main of a bare repository (fast-import: no work tree needed).</summary>
    private void AddCommit(string bare)
    {
        var n = ++_newCommits;
        var hasMain = Git.TryRun(bare, "rev-parse", "--verify", "--quiet", "refs/heads/main").Code == 0;
        var content = $"change {n}\n";
        var script = $"commit refs/heads/main\ncommitter Bench <bench@example.com> {1_800_000_000 + n} +0000\ndata {$"bench change {n}".Length + 1}\nbench change {n}\n"
            + (hasMain ? "from refs/heads/main^0\n" : "") + $"M 100644 inline bench/change.txt\ndata {content.Length}\n{content}\n";
        var psi = new ProcessStartInfo("git", "fast-import --quiet") { WorkingDirectory = bare, RedirectStandardInput = true };
        using var p = Process.Start(psi)!;
        p.StandardInput.Write(script);
        p.StandardInput.Close();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"fast-import failed in {bare}");
    }

    /// <summary>The target has exactly the source's heads and tags: a benchmark of a wrong result is worthless.</summary>
    private void SameRefs(string name)
    {
        string Refs(string bare) => Git.Run(bare, "for-each-ref", "--format=%(objectname) %(refname)", "refs/heads", "refs/tags");
        if (Refs(Source(name)) != Refs(Target(name))) throw new InvalidOperationException($"{name}: the target's heads and tags differ from the source's after the sync");
    }

    // ---- reporting ----

    private void Compare(string what, double mirror, double git, string unit, double target, bool ratioOnly = false, string? note = null)
    {
        var ratio = mirror / git;
        var (m, g) = unit == "MB" ? ($"{mirror:N0} MB", $"{git:N0} MB") : ($"{mirror:0.00} s", $"{git:0.00} s");
        if (ratioOnly) (m, g) = ($"{mirror:0.00} s", $"{git:0.00} s (10k)");
        Row(what, m, g, $"{ratio:0.00}×", $"≤ {target:0.0#}×", ratio <= target ? "PASS" : "MISS");
        if (note is not null) Console.WriteLine($"|   ({note}) | | | | | |");
    }

    private void Row(params string[] cells)
    {
        var line = "| " + string.Join(" | ", cells) + " |";
        _rows.Add(line);
        Console.WriteLine(line);
    }

    private List<double> Repeat(Func<double> measure) => Enumerable.Range(0, _options.Runs).Select(_ => measure()).ToList();

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static (int Code, string Stdout, string Stderr) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr);
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static string TotalMemory()
    {
        if (!File.Exists("/proc/meminfo")) return "memory n/a";
        var kb = long.Parse(File.ReadLines("/proc/meminfo").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        return $"{kb / 1024.0 / 1024.0:0} GB memory";
    }

    public void Dispose()
    {
        _server.Dispose();
        if (!_options.KeepWork) Directory.Delete(_work, recursive: true);
        else Console.WriteLine($"kept {_work}");
    }
}

/// <summary>Options of the `large` profile.</summary>
public sealed record LargeOptions(string DataDirectory, string Host, int Runs, int Pairs, int Syncs, int HugePushMegabytes, bool KeepWork, int[] Sections)
{
    /// <summary>Sections 1 and 2 run together: the increments start from the initial sync's state.</summary>
    public bool Runs12 => Sections.Contains(1) || Sections.Contains(2);

    public const string Usage = """
        dotnet run -c Release --project bench/GitMirror.Bench -- large [options]
          --data-dir DIR     where generated repositories are kept (default: $XDG_CACHE_HOME/gitmirror-bench)
          --host PATH        the gitmirror host to run (default: this checkout's Release build)
          --runs N           repetitions of the short operations; medians are printed (default 3)
          --pairs N          pairs in the no-op poll (default 200)
          --syncs N          incremental syncs before the cache's packs are counted (default 1000)
          --huge-push[=MB]   also push a repository of MB megabytes (default 3072): slow, opt-in
          --only 1,2,3,5     run only these sections (1 and 2 run together; 4 is --huge-push)
          --keep             keep the work directory
          --profile          instead: where one increment's time goes (10k repository, time-stamped engine steps, --runs times)
        """;

    public static LargeOptions Parse(string[] args)
    {
        var options = new LargeOptions(LargeRepository.DefaultDataDirectory(), DefaultHost(), 3, 200, 1000, 0, false, [1, 2, 3, 5]);
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.\n{Usage}");
            options = args[i] switch
            {
                "--data-dir" => options with { DataDirectory = Path.GetFullPath(Next()) },
                "--host" => options with { Host = Path.GetFullPath(Next()) },
                "--runs" => options with { Runs = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--pairs" => options with { Pairs = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--syncs" => options with { Syncs = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--huge-push" => options with { HugePushMegabytes = 3072 },
                var s when s.StartsWith("--huge-push=", StringComparison.Ordinal) => options with { HugePushMegabytes = int.Parse(s[12..], CultureInfo.InvariantCulture) },
                "--keep" => options with { KeepWork = true },
                "--only" => options with { Sections = [.. Next().Split(',').Select(n => int.Parse(n, CultureInfo.InvariantCulture))] },
                _ => throw new ArgumentException($"unknown option {args[i]}\n{Usage}"),
            };
        }
        if (!File.Exists(options.Host)) throw new ArgumentException($"no gitmirror host at {options.Host}: build it (dotnet build -c Release src/GitMirror.Host) or pass --host.");
        return options;
    }

    /// <summary>The Release host of the checkout this bench was built from (the bench's build builds it).</summary>
    private static string DefaultHost()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "GitMirror.sln"))) dir = dir.Parent;
        var bin = Path.Combine(dir?.FullName ?? ".", "src", "GitMirror.Host", "bin", "Release", "net10.0");
        return Path.Combine(bin, OperatingSystem.IsWindows() ? "gitmirror.exe" : "gitmirror");
    }
}
