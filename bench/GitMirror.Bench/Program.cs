using System.Diagnostics;
using GitMirror;
using GitMirror.Core;
using GitMirror.Bench;
using GitMirror.Core.Engine;
using GitMirror.Testing;

// Usage: dotnet run -c Release --project bench/GitMirror.Bench [-- COMMITS [RUNS]]
//        dotnet run -c Release --project bench/GitMirror.Bench -- large [--help for options]
//   large: issue 9's benchmark on generated repositories of 80,000 and 10,000 commits (LargeBenchmark.cs).
//        dotnet run -c Release --project bench/GitMirror.Bench -- generate COMMITS [DATA_DIR]
//   generate: only generates (or finds) a repository of the large profile's shape with COMMITS commits.
//        dotnet run -c Release --project bench/GitMirror.Bench -- fleet [PAIRS] [LATENCY_MS]
//   fleet: PAIRS small pairs synced, then polled, with -ThrottleLimit 1 and 8; every request to the
//   server is delayed by LATENCY_MS (default 50) to stand in for the round trip to a real forge.
// Measures, over a local smart-HTTP server (git http-backend) with token auth:
//   1. initial sync of a COMMITS-commit repository into an empty side, against the git CLI doing
//      the same (clone --mirror from one side, push of heads and tags to the other);
//   2. a no-op poll (everything in sync), against `git ls-remote` of both sides.
// Prints medians and the ratio GitMirror / git CLI. Both use the same server in the same run.
const string Token = "bench-token-0123456789";
if (args.Length > 0 && args[0] == "large")
{
    if (args.Contains("--help")) { Console.WriteLine(LargeOptions.Usage); return 0; }
    if (args.Contains("--profile")) return LargeBenchmark.Profile(LargeOptions.Parse([.. args[1..].Where(a => a != "--profile")]));
    return LargeBenchmark.RunProfile(LargeOptions.Parse(args[1..]));
}
if (args.Length > 0 && args[0] == "generate")
{
    var shape = RepositoryShape.Large with { Name = $"generated-{args[1]}", Commits = int.Parse(args[1]) };
    var generated = LargeRepository.Ensure(args.Length > 2 ? Path.GetFullPath(args[2]) : LargeRepository.DefaultDataDirectory(), shape, Console.Out);
    Console.WriteLine($"{generated}: {LargeRepository.Describe(generated)}");
    return 0;
}
//        dotnet run -c Release --project bench/GitMirror.Bench -- serve [EVENTS] [PAIRS]   (ServeLatencyBench.cs)
if (args.Length > 0 && args[0] == "serve") return await ServeLatencyBench.RunAsync(args.Length > 1 ? int.Parse(args[1]) : 100, args.Length > 2 ? int.Parse(args[2]) : 50);
//        dotnet run -c Release --project bench/GitMirror.Bench -- orgs [REPOS]   (OrgsBench.cs)
//   orgs: an organisation of REPOS (default 2,000) repositories per side behind the API fakes; API requests per expansion.
if (args.Length > 0 && args[0] == "orgs") return await OrgsBench.RunAsync(args.Length > 1 ? int.Parse(args[1]) : 2000);
if (args.Length > 0 && args[0] == "fleet") return await Fleet(args.Length > 1 ? int.Parse(args[1]) : 200, args.Length > 2 ? int.Parse(args[2]) : 50);
var commits = args.Length > 0 ? int.Parse(args[0]) : 2000;
var runs = args.Length > 1 ? int.Parse(args[1]) : 5;

using var world = new MirrorWorld();
using var server = GitHttpServer.Start(world.Root);
server.AcceptedTokens.Add(Token);
Environment.SetEnvironmentVariable("BENCH_GH_TOKEN", Token);
Environment.SetEnvironmentVariable("BENCH_GL_TOKEN", Token);
world.GitHubTokenEnv = "BENCH_GH_TOKEN";
world.GitLabTokenEnv = "BENCH_GL_TOKEN";
world.GitHubUrl = server.BaseUrl + "/github";
world.GitLabUrl = server.BaseUrl + "/gitlab";

Console.WriteLine($"Building a {commits}-commit repository (with 20 tags and 500 refs/pull/* refs)...");
var (github, _) = world.AddPair("source");
var tip = BuildHistory(github.BarePath, commits);
for (var i = 0; i < 500; i++) RepoBuilder.SetRef(github.BarePath, $"refs/pull/{i}/head", tip);
var gitEnv = GitHttpServer.GitAuthEnvironment("x-access-token", Token);

var engine = new MirrorEngine(NullMirrorLog.Instance);
var initialMirror = new List<double>();
var initialGit = new List<double>();
for (var run = 0; run < runs; run++)
{
    // GitMirror: a fresh target and a fresh cache each run.
    var pair = TargetPair($"t{run}");
    initialMirror.Add(Time(() => Check(engine.SyncAsync(pair, _ => true, CancellationToken.None).GetAwaiter().GetResult(), MirrorSyncStatus.Synced)));

    // git CLI: clone --mirror the source, push heads and tags to a fresh empty repository.
    var target = $"group/cli{run}";
    Git.Run(world.GitLabRoot, "init", "--bare", "--quiet", Path.Combine(world.GitLabRoot, target + ".git"));
    var clone = Path.Combine(world.Root, $"cli-clone-{run}.git");
    initialGit.Add(Time(() =>
    {
        Git.RunWithEnv(world.Root, gitEnv, "clone", "--quiet", "--mirror", server.UrlOf("github/org/source"), clone);
        Git.RunWithEnv(clone, gitEnv, "push", "--quiet", server.UrlOf("gitlab/" + target), "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*");
    }));
}

var pollPair = TargetPair("t0", create: false);
var pollMirror = new List<double>();
var pollGit = new List<double>();
server.ClearRequests();
for (var run = 0; run < runs * 2; run++)
{
    pollMirror.Add(Time(() => Check(engine.SyncAsync(pollPair, _ => true, CancellationToken.None).GetAwaiter().GetResult(), MirrorSyncStatus.UpToDate)));
    pollGit.Add(Time(() =>
    {
        Git.RunWithEnv(world.Root, gitEnv, "ls-remote", server.UrlOf("github/org/source"));
        Git.RunWithEnv(world.Root, gitEnv, "ls-remote", server.UrlOf("gitlab/group/t0"));
    }));
}

Console.WriteLine();
Console.WriteLine($"{"operation",-44} {"GitMirror",10} {"git CLI",10} {"ratio",7}");
Report($"initial sync, {commits} commits (median of {runs})", initialMirror, initialGit);
Report($"no-op poll, both sides (median of {runs * 2})", pollMirror, pollGit);
var pollBytes = server.Requests.Where(r => r.Service == "git-upload-pack").Sum(r => r.ResponseBytes);
Console.WriteLine($"bytes served for all no-op polls of both tools: {pollBytes:N0}; receive-pack requests during polls: {server.Requests.Count(r => r.Service == "git-receive-pack")}");
return 0;

// A pair from org/source to a new empty GitLab repository, with its own cache.
MirrorPair TargetPair(string name, bool create = true)
{
    var gitlabPath = $"group/{name}";
    if (create) Git.Run(world.Root, "init", "--bare", "--quiet", world.GitLabRepo(gitlabPath));
    return new MirrorPair
    {
        Name = name,
        GitHub = "org/source",
        GitLab = gitlabPath,
        GitHubUrl = server.UrlOf("github/org/source"),
        GitLabUrl = server.UrlOf("gitlab/" + gitlabPath),
        ConfigPath = world.ConfigPath,
        GitHubTokenEnv = "BENCH_GH_TOKEN",
        GitLabTokenEnv = "BENCH_GL_TOKEN",
        CachePath = Path.Combine(world.Root, "cache-" + name),
    };
}

// PAIRS small pairs over the smart-HTTP server, synced and then polled with -ThrottleLimit 1 and 8:
// what parallel pairs buy a cron run over a fleet.
async Task<int> Fleet(int pairs, int latencyMs)
{
    using var world = new MirrorWorld();
    using var server = GitHttpServer.Start(world.Root);
    server.Intercept = async _ =>
    {
        await Task.Delay(latencyMs);
        return false;
    };
    server.AcceptedTokens.Add(Token);
    Environment.SetEnvironmentVariable("BENCH_TOKEN", Token);
    world.GitHubTokenEnv = world.GitLabTokenEnv = "BENCH_TOKEN";
    world.GitHubUrl = server.BaseUrl + "/github";
    world.GitLabUrl = server.BaseUrl + "/gitlab";
    Console.WriteLine($"Creating {pairs} pairs...");
    for (var i = 0; i < pairs; i++)
    {
        world.AddPair($"pair{i:D3}");
    }
    foreach (var dir in Directory.GetDirectories(Path.Combine(world.GitHubRoot, "org")))
    {
        var psi = new ProcessStartInfo("git", "fast-import --quiet") { WorkingDirectory = dir, RedirectStandardInput = true };
        using var p = Process.Start(psi)!;
        p.StandardInput.Write("commit refs/heads/main\ncommitter B <b@example.com> 1700000000 +0000\ndata 2\nc1\nM 100644 inline a.txt\ndata 2\na\n\n");
        p.StandardInput.Close();
        p.WaitForExit();
    }
    var config = GitMirror.Core.Config.ConfigLoader.Load(world.ConfigPath);
    Console.WriteLine($"{latencyMs} ms added to every request");
    Console.WriteLine($"{"operation",-44} {"throttle 1",10} {"throttle 8",10} {"ratio",7}");
    foreach (var (what, cache) in new[] { ("initial sync", "a"), ("no-op poll", "a") })
    {
        var times = new List<double>();
        foreach (var throttle in new[] { 1, 8 })
        {
            // Each throttle starts from the same state: its own copy of the targets and cache.
            var target = Path.Combine(world.Root, $"gitlab-{throttle}");
            if (what == "initial sync")
            {
                if (Directory.Exists(target)) Directory.Delete(target, true);
            }
            var run = config.Pairs.Select(p => new MirrorPair
            {
                Name = p.Name, GitHub = p.GitHub, GitLab = $"t{throttle}/{p.Name}", GitHubUrl = p.GitHubUrl,
                GitLabUrl = server.UrlOf($"gitlab/t{throttle}/{p.Name}"), ConfigPath = p.ConfigPath,
                GitHubTokenEnv = p.GitHubTokenEnv, GitLabTokenEnv = p.GitLabTokenEnv,
                CachePath = Path.Combine(world.Root, $"cache-{throttle}-{cache}"),
            }).ToList();
            if (what == "initial sync")
            {
                foreach (var p in run) Git.Run(world.Root, "init", "--bare", "--quiet", world.GitLabRepo($"t{throttle}/{p.Name}"));
            }
            var syncRun = new SyncRun(run, new SyncRunOptions(), NullMirrorLog.Instance);
            times.Add(await TimeAsync(() => Parallel.ForEachAsync(run, new ParallelOptions { MaxDegreeOfParallelism = throttle },
                async (p, ct) => await syncRun.SyncAsync(p, _ => true, ct))));
        }
        Console.WriteLine($"{what + $", {pairs} pairs",-44} {times[0],8:0} ms {times[1],8:0} ms {times[0] / times[1],7:0.00}");
    }
    return 0;
}

static async Task<double> TimeAsync(Func<Task> action)
{
    var clock = Stopwatch.StartNew();
    await action();
    return clock.Elapsed.TotalMilliseconds;
}

static void Report(string what, List<double> mirror, List<double> git)
{
    var (m, g) = (Median(mirror), Median(git));
    Console.WriteLine($"{what,-44} {m,8:0} ms {g,8:0} ms {m / g,7:0.00}");
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}

static double Time(Action action)
{
    var clock = Stopwatch.StartNew();
    action();
    return clock.Elapsed.TotalMilliseconds;
}

static void Check(SyncOutcome outcome, MirrorSyncStatus expected)
{
    if (outcome.Result.Status != expected) throw new InvalidOperationException($"expected {expected}, got {outcome.Result.Status}: {outcome.Result.Error}");
}

// A linear history built with fast-import: thousands of commits in a second.
static string BuildHistory(string bare, int count)
{
    var script = new System.Text.StringBuilder();
    for (var i = 1; i <= count; i++)
    {
        var content = $"line {i}\n";
        script.Append($"commit refs/heads/main\nmark :{i}\ncommitter Bench <bench@example.com> {1700000000 + i} +0000\ndata {($"commit {i}").Length}\ncommit {i}\n");
        if (i > 1) script.Append($"from :{i - 1}\n");
        script.Append($"M 100644 inline file{i % 50}.txt\ndata {content.Length}\n{content}\n");
        if (i % (count / 20 == 0 ? 1 : count / 20) == 0) script.Append($"tag v{i}\nfrom :{i}\ntagger Bench <bench@example.com> {1700000000 + i} +0000\ndata 7\nrelease\n");
    }
    var psi = new ProcessStartInfo("git", "fast-import --quiet") { WorkingDirectory = bare, RedirectStandardInput = true };
    using var p = Process.Start(psi)!;
    p.StandardInput.Write(script.ToString());
    p.StandardInput.Close();
    p.WaitForExit();
    return Git.Run(bare, "rev-parse", "refs/heads/main");
}
