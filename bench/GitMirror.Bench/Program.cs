using System.Diagnostics;
using GitMirror;
using GitMirror.Core;
using GitMirror.Core.Engine;
using GitMirror.Testing;

// Usage: dotnet run -c Release --project bench/GitMirror.Bench [-- COMMITS [RUNS]]
// Measures, over a local smart-HTTP server (git http-backend) with token auth:
//   1. initial sync of a COMMITS-commit repository into an empty side, against the git CLI doing
//      the same (clone --mirror from one side, push of heads and tags to the other);
//   2. a no-op poll (everything in sync), against `git ls-remote` of both sides.
// Prints medians and the ratio GitMirror / git CLI. Both use the same server in the same run.
var commits = args.Length > 0 ? int.Parse(args[0]) : 2000;
var runs = args.Length > 1 ? int.Parse(args[1]) : 5;
const string Token = "bench-token-0123456789";

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
