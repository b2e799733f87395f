using System.Diagnostics;
using System.Text;
using System.Text.Json;
using GitMirror.Host.Tests;
using GitMirror.Testing;
using Microsoft.AspNetCore.Http;

namespace GitMirror.Proof.Tests;

/// <summary>What a model run did, for the closing note and the CI log.</summary>
public sealed class ModelCounters
{
    public int Rounds;
    public int HostRuns;
    public int PairSyncs;
    public int Kills;
    public int KillsMidPush;
    public int DoubleRuns;
    public int RacedRuns;
    public int Repairs;
    public int HandRepairs;
    public int UserOps;
    public int Halted;
    public int Conflicts;

    public override string ToString() =>
        $"{Rounds} rounds, {HostRuns} host runs, {PairSyncs} pair-syncs, {Kills} SIGKILLs ({KillsMidPush} mid-push), " +
        $"{DoubleRuns} two-at-once, {RacedRuns} raced by user pushes, {Repairs} Repair-MirrorDivergence, {HandRepairs} hand repairs, " +
        $"{UserOps} user operations, {Halted} halted pair-syncs, {Conflicts} conflicts seen";
}

/// <summary>A model pair: its sides, its policy and its oracle.</summary>
public sealed record ModelPair(string Name, bool HaltPair, SideRepo GitHub, SideRepo GitLab, Oracle Oracle)
{
    public PairSnapshot Snapshot() => new(GitHub.Refs(), GitLab.Refs());

    public HashSet<string> Reachable() => [.. GitHub.Reachable().Concat(GitLab.Reachable())];

    public Prediction Predict() => Oracle.Predict(Snapshot(), HaltPair);

    public SideRepo Other(SideRepo side) => side == GitHub ? GitLab : GitHub;
}

/// <summary>
/// The seeded randomized model test of issue 10: users change either side of several pairs with the
/// git CLI; the `gitmirror` host syncs them (plainly, two at once, killed with SIGKILL at random or in
/// the middle of a push, raced by user pushes) or repairs them; after every step the oracle checks
/// that nothing reachable was lost, that halted pairs were not touched, and that statuses, exit codes
/// and the resulting refs are exactly as §6 predicts. The seed fixes every choice but timing.
/// </summary>
public sealed class ModelRun : IDisposable
{
    private readonly int _seed;
    private readonly int _rounds;
    private readonly Random _random;
    private readonly HttpMirrorWorld _http = new();
    private readonly List<ModelPair> _pairs = [];
    private readonly List<string> _trace = [];
    private readonly Action<string> _output;
    private readonly bool _gitLabOverHttp;
    private int _names;

    public ModelRun(int seed, int rounds, Action<string> output)
    {
        _seed = seed;
        _rounds = rounds;
        _random = new Random(seed);
        _output = output;
        // GitHub is always served over smart HTTP (hooks, leases, stalls); GitLab over HTTP or as a local directory.
        _gitLabOverHttp = seed % 2 == 0;
        if (!_gitLabOverHttp) World.GitLabUrl = null;
        for (var i = 0; i < 4; i++)
        {
            var name = $"p{i}";
            var halt = i % 2 == 0;
            var (github, gitlab) = World.AddPair(name, policy: halt ? "halt-pair" : "skip-ref");
            var pair = new ModelPair(name, halt, new SideRepo("GitHub", github.BarePath), new SideRepo("GitLab", gitlab.BarePath),
                Oracle.For(Path.Combine(World.Root, "oracle", name), new SideRepo("GitHub", github.BarePath), new SideRepo("GitLab", gitlab.BarePath)));
            _pairs.Add(pair);
        }
        World.WriteConfig();
    }

    public ModelCounters Counters { get; } = new();

    /// <summary>Diverged refs Repair-MirrorDivergence may resolve: every one, conflicts included.</summary>
    private static IEnumerable<string> Resolvable(ModelPair pair) => pair.Predict().Diverged;

    private MirrorWorld World => _http.World;

    public static string ReplayCommand(int seed, int rounds) =>
        $"GITMIRROR_MODEL_SEED={seed} GITMIRROR_MODEL_ROUNDS={rounds} dotnet test tests/GitMirror.Proof.Tests --filter \"FullyQualifiedName~ModelTests\"";

    public void Run()
    {
        try
        {
            Trace($"seed {_seed}: 4 pairs (p0, p2 halt-pair; p1, p3 skip-ref), GitHub over HTTP, GitLab {(_gitLabOverHttp ? "over HTTP" : "local")}");
            foreach (var pair in _pairs)
            {
                var main = pair.GitHub.NewCommit();
                pair.GitHub.TryUpdate("refs/heads/main", pair.GitHub.NewCommit(main), null);
            }
            PlainSync("initial");
            for (var round = 1; round <= _rounds; round++)
            {
                Counters.Rounds++;
                var ops = _random.Next(1, 5);
                for (var i = 0; i < ops; i++) UserOperation();
                var roll = _random.Next(100);
                if (roll < 40) PlainSync($"round {round}");
                else if (roll < 52) KilledSync(round, midPush: false);
                else if (roll < 64) KilledSync(round, midPush: true);
                else if (roll < 76) TwoAtOnce(round);
                else if (roll < 88) RacedSync(round);
                else Repair(round);
            }
            // Whatever happened, a plain sync now is exactly as predicted; then users resolve every
            // divergence by hand and the pairs converge to identical sides.
            PlainSync("final");
            foreach (var pair in _pairs)
            {
                foreach (var name in pair.Predict().Diverged)
                {
                    if (pair.Predict().Diverged.Contains(name)) HandRepair(pair, name);
                }
            }
            PlainSync("after hand repairs");
            foreach (var pair in _pairs)
            {
                var snapshot = pair.Snapshot();
                Check(snapshot.GitHub.SequenceEqual(snapshot.GitLab) || pair.Predict().Diverged.Count > 0,
                    $"{pair.Name}: sides differ after a clean sync with nothing diverged\n{snapshot}");
            }
        }
        catch (ModelFailure)
        {
            throw;
        }
        catch (Exception e)
        {
            throw new ModelFailure($"{e.GetType().Name}: {e.Message}\n{Context()}", e);
        }
        _output($"seed {_seed}: {Counters}");
    }

    // ---- user operations -------------------------------------------------------------------

    private void UserOperation()
    {
        Counters.UserOps++;
        var pair = _pairs[_random.Next(_pairs.Count)];
        var side = _random.Next(2) == 0 ? pair.GitHub : pair.GitLab;
        var refs = side.Refs();
        var branches = refs.Keys.Where(r => r.StartsWith("refs/heads/", StringComparison.Ordinal) && !r.Contains("/gitmirror/", StringComparison.Ordinal)).ToList();
        var tags = refs.Keys.Where(r => r.StartsWith("refs/tags/", StringComparison.Ordinal) && !r.Contains("/gitmirror/", StringComparison.Ordinal)).ToList();
        var commits = branches.Select(b => refs[b]).Distinct().ToList();
        string? AnyBranch() => branches.Count == 0 ? null : branches[_random.Next(branches.Count)];
        string? AnyCommit() => commits.Count == 0 ? null : commits[_random.Next(commits.Count)];

        var roll = _random.Next(100);
        string what;
        if (roll < 28 && AnyBranch() is { } branch)
        {
            var ok = side.TryUpdate(branch, side.NewCommit(refs[branch]), refs[branch]);
            what = $"commit on {branch}";
            _ = ok;
        }
        else if (roll < 38 && AnyCommit() is { } from)
        {
            var name = NewName(_random.Next(3) == 0 ? "feature/b" : "b");
            side.TryUpdate(name, side.NewCommit(from), null);
            what = $"new branch {name}";
        }
        else if (roll < 42)
        {
            var name = NewName("root");
            side.TryUpdate(name, side.NewCommit(), null);
            what = $"root commit on new branch {name}";
        }
        else if (roll < 48 && AnyCommit() is { } target)
        {
            var name = NewTag("v");
            side.TryUpdate(name, target, null);
            what = $"lightweight tag {name}";
        }
        else if (roll < 54 && AnyCommit() is { } annotatedTarget)
        {
            var name = NewTag("a");
            side.TryAnnotatedTag(name["refs/tags/".Length..], annotatedTarget);
            what = $"annotated tag {name}";
        }
        else if (roll < 62 && Deletable(refs) is { Count: > 0 } deletable)
        {
            var victim = deletable[_random.Next(deletable.Count)];
            side.TryDelete(victim, refs[victim]);
            what = $"one-sided deletion of {victim}";
        }
        else if (roll < 70 && AnyBranch() is { } rewritten)
        {
            var parent = side.ParentOf(refs[rewritten]);
            var replacement = _random.Next(4) == 0 || parent is null ? side.NewCommit() : side.NewCommit(parent);
            side.TryUpdate(rewritten, replacement, refs[rewritten]);
            what = $"force-rewrite of {rewritten}";
        }
        else if (roll < 75 && tags.Count > 0 && AnyCommit() is { } movedTo)
        {
            var tag = tags[_random.Next(tags.Count)];
            side.TryUpdate(tag, movedTo, refs[tag]);
            what = $"moved tag {tag}";
        }
        else if (roll < 80 && AnyCommit() is { } xBase && pair.Other(side).AnyBranchTip() is { } otherBase)
        {
            var x = NewName("x");
            side.TryUpdate(x, side.NewCommit(xBase), null);
            pair.Other(side).TryUpdate(x + "/y", pair.Other(side).NewCommit(otherBase), null);
            what = $"{x} on {side}, {x}/y on {pair.Other(side)}";
        }
        else if (roll < 84 && AnyCommit() is { } caseBase && pair.Other(side).AnyBranchTip() is { } otherCaseBase)
        {
            var lower = NewName("case");
            var upper = "refs/heads/" + lower["refs/heads/".Length..].ToUpperInvariant();
            side.TryUpdate(upper, side.NewCommit(caseBase), null);
            pair.Other(side).TryUpdate(lower, pair.Other(side).NewCommit(otherCaseBase), null);
            what = $"{upper} on {side}, {lower} on {pair.Other(side)}";
        }
        else if (roll < 88 && AnyCommit() is { } sameFrom)
        {
            // Two people create the same branch name on both sides.
            var name = NewName("both");
            side.TryUpdate(name, side.NewCommit(sameFrom), null);
            var other = pair.Other(side);
            if (other.AnyBranchTip() is { } otherFrom) other.TryUpdate(name, other.NewCommit(otherFrom), null);
            what = $"{name} created on both sides";
        }
        else if (roll < 92 && AnyCommit() is { } tagged)
        {
            // Real repositories tag trees and blobs too (issue 10 item 1).
            var name = NewTag("tree");
            side.TryUpdate(name, side.TreeOf(tagged), null);
            what = $"lightweight tag {name} on a tree";
        }
        else if (pair.Predict().Diverged.ToList() is { Count: > 0 } diverged)
        {
            HandRepair(pair, diverged[_random.Next(diverged.Count)]);
            return;
        }
        else
        {
            what = "nothing (no candidate)";
        }
        Trace($"user: {pair.Name} {side}: {what}");
    }

    /// <summary>Refs a user may delete on one side: any of them, a name of a conflict included.</summary>
    private static List<string> Deletable(SortedDictionary<string, string> refs) => [.. refs.Keys];

    /// <summary>A person resolves a diverged or conflicting ref with plain git: merge, take the other side's value, or delete a name.</summary>
    private void HandRepair(ModelPair pair, string name)
    {
        Counters.HandRepairs++;
        var snapshot = pair.Snapshot();
        var (keep, lose) = _random.Next(2) == 0 ? (pair.GitHub, pair.GitLab) : (pair.GitLab, pair.GitHub);
        var keepRefs = keep == pair.GitHub ? snapshot.GitHub : snapshot.GitLab;
        var loseRefs = lose == pair.GitHub ? snapshot.GitHub : snapshot.GitLab;
        string what;
        if (keepRefs.ContainsKey(name) && loseRefs.ContainsKey(name))
        {
            if (name.StartsWith("refs/heads/", StringComparison.Ordinal) && _random.Next(2) == 0
                && keep.FetchScratch(lose, name) is { } theirs)
            {
                keep.TryUpdate(name, keep.MergeCommit(keepRefs[name], theirs), keepRefs[name]);
                what = $"merged {lose}'s {name} into {keep}'s";
            }
            else
            {
                lose.TryCopyFrom(keep, name);
                what = $"took {keep}'s {name} on {lose}";
            }
        }
        else
        {
            // A conflict: delete the one-sided name where it is; the names in its way then sync.
            var holder = snapshot.GitHub.ContainsKey(name) ? pair.GitHub : pair.GitLab;
            holder.TryDelete(name, (holder == pair.GitHub ? snapshot.GitHub : snapshot.GitLab)[name]);
            what = $"deleted {name} on {holder}";
        }
        Trace($"user: {pair.Name}: hand repair: {what}");
    }

    private string NewName(string stem) => $"refs/heads/{stem}{Interlocked.Increment(ref _names)}";

    private string NewTag(string stem) => $"refs/tags/{stem}{Interlocked.Increment(ref _names)}";

    // ---- GitMirror actions -----------------------------------------------------------------

    private sealed record Before(Dictionary<string, PairSnapshot> Snapshots, Dictionary<string, Prediction> Predictions, Dictionary<string, HashSet<string>> Reachable);

    private Before Observe() => new(
        _pairs.ToDictionary(p => p.Name, p => p.Snapshot()),
        _pairs.ToDictionary(p => p.Name, p => p.Predict()),
        _pairs.ToDictionary(p => p.Name, p => p.Reachable()));

    private void PlainSync(string label)
    {
        var before = Observe();
        var run = RunSync(label);
        Counters.PairSyncs += _pairs.Count;
        CheckExact(before, run, label);
    }

    /// <summary>Statuses, exit code and resulting refs exactly as predicted; nothing lost; halted pairs untouched.</summary>
    private void CheckExact(Before before, HostRun run, string label)
    {
        var expectedCode = ExpectedExitCode(before.Predictions.Values);
        foreach (var pair in _pairs)
        {
            var predicted = before.Predictions[pair.Name];
            Check(run.Statuses.GetValueOrDefault(pair.Name) == predicted.Status,
                $"{label}: {pair.Name} was {run.Statuses.GetValueOrDefault(pair.Name) ?? "not reported"}, predicted {predicted.Status} " +
                $"(diverged: {string.Join(", ", predicted.Diverged)})\n{before.Snapshots[pair.Name]}\n{run}");
            if (predicted.Status == "Halted") Counters.Halted++;
            if (Oracle.Conflicts(before.Snapshots[pair.Name]).Any()) Counters.Conflicts++;
            CheckOutcome(pair, before, predicted, label);
        }
        Check(run.ExitCode == expectedCode, $"{label}: exit code {run.ExitCode}, predicted {expectedCode}\n{run}");
    }

    private void CheckOutcome(ModelPair pair, Before before, Prediction predicted, string label)
    {
        CheckNothingLost(pair, before, label);
        var after = pair.Snapshot();
        if (predicted.Status == "Halted")
        {
            Check(after.SameAs(before.Snapshots[pair.Name]), $"{label}: halted pair {pair.Name} was changed\nbefore:\n{before.Snapshots[pair.Name]}\nafter:\n{after}");
            return;
        }
        foreach (var (name, sha) in predicted.Final)
        {
            Check(after.GitHub.GetValueOrDefault(name) == sha && after.GitLab.GetValueOrDefault(name) == sha,
                $"{label}: {pair.Name} {name} should be {sha[..10]} on both sides\nbefore:\n{before.Snapshots[pair.Name]}\nafter:\n{after}");
        }
        foreach (var name in predicted.Diverged)
        {
            Check(after.GitHub.GetValueOrDefault(name) == before.Snapshots[pair.Name].GitHub.GetValueOrDefault(name)
                  && after.GitLab.GetValueOrDefault(name) == before.Snapshots[pair.Name].GitLab.GetValueOrDefault(name),
                $"{label}: {pair.Name} diverged ref {name} was touched\nbefore:\n{before.Snapshots[pair.Name]}\nafter:\n{after}");
        }
        var extra = after.GitHub.Keys.Concat(after.GitLab.Keys).Where(k => !predicted.Final.ContainsKey(k) && !predicted.Diverged.Contains(k)).ToList();
        Check(extra.Count == 0, $"{label}: {pair.Name} has refs nobody made: {string.Join(", ", extra)}\n{after}");
    }

    private void CheckNothingLost(ModelPair pair, Before before, string label, IEnumerable<string>? alsoExpected = null)
    {
        var now = pair.Reachable();
        var lost = before.Reachable[pair.Name].Concat(alsoExpected ?? []).Where(o => !now.Contains(o)).ToList();
        Check(lost.Count == 0, $"{label}: {pair.Name} lost {lost.Count} reachable objects ({string.Join(", ", lost.Take(5))})\n{pair.Snapshot()}");
    }

    /// <summary>§6: 1 when some pair has diverged refs (halted, or skipped under skip-ref), else 0; nothing predicted fails.</summary>
    private static int ExpectedExitCode(IEnumerable<Prediction> predictions) => predictions.Any(p => p.Diverged.Count > 0) ? 1 : 0;

    private void KilledSync(int round, bool midPush)
    {
        var label = $"round {round} killed {(midPush ? "mid-push" : "at random")}";
        var before = Observe();
        var parked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (midPush)
        {
            _http.Server.Intercept = async context =>
            {
                if (context.Request.Method != "POST" || !context.Request.Path.Value!.EndsWith("/git-receive-pack", StringComparison.Ordinal)) return false;
                parked.TrySetResult();
                // The receive-pack answer never comes: the kill lands while the push is in flight.
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { });
                return true;
            };
        }
        var delay = TimeSpan.FromMilliseconds(_random.Next(200, 3000));
        using (var process = StartSync(out _))
        {
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            var exited = process.WaitForExitAsync();
            var trigger = midPush ? parked.Task : Task.Delay(delay);
            var first = Task.WhenAny(exited, trigger, Task.Delay(TimeSpan.FromSeconds(120))).GetAwaiter().GetResult();
            if (first == exited)
            {
                Trace($"sync: {label}: finished before the kill");
            }
            else
            {
                // SIGKILL, as a scheduler's timeout does (the whole process group: no child outlives it).
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                Counters.Kills++;
                if (midPush && parked.Task.IsCompleted) Counters.KillsMidPush++;
                Trace($"sync: {label}: killed{(midPush && parked.Task.IsCompleted ? " during a push" : midPush ? " (no push started within 120 s)" : $" after {delay.TotalMilliseconds:0} ms")}");
            }
            Counters.HostRuns++;
        }
        _http.Server.Intercept = null;
        foreach (var pair in _pairs)
        {
            CheckNothingLost(pair, before, label);
            if (before.Predictions[pair.Name].Status == "Halted")
            {
                Check(pair.Snapshot().SameAs(before.Snapshots[pair.Name]), $"{label}: halted pair {pair.Name} was changed by the killed run");
            }
        }
        PlainSync($"round {round} after the kill");
    }

    private void TwoAtOnce(int round)
    {
        var label = $"round {round} two at once";
        Counters.DoubleRuns++;
        var before = Observe();
        using var first = StartSync(out var firstLog);
        using var second = StartSync(out var secondLog);
        var a = Finish(first, firstLog, label + " (first)");
        var b = Finish(second, secondLog, label + " (second)");
        Counters.PairSyncs += _pairs.Count;
        foreach (var pair in _pairs)
        {
            var predicted = before.Predictions[pair.Name];
            var statuses = new[] { a.Statuses.GetValueOrDefault(pair.Name), b.Statuses.GetValueOrDefault(pair.Name) };
            // One run syncs the pair; the other finds it locked (Skipped) or, when it came later, finds the work done.
            var again = predicted.Status == "Halted" ? "Halted" : "UpToDate";
            var fine = (statuses[0] == predicted.Status && (statuses[1] is "Skipped" || statuses[1] == again))
                       || (statuses[1] == predicted.Status && (statuses[0] is "Skipped" || statuses[0] == again));
            Check(fine, $"{label}: {pair.Name} reported {statuses[0]} and {statuses[1]}, predicted {predicted.Status}\n{a}\n{b}");
            CheckOutcome(pair, before, predicted, label);
        }
        foreach (var run in new[] { a, b })
        {
            // Each run's code follows from what it did: 1 when a pair it synced has diverged refs.
            var diverged = _pairs.Any(p => run.Statuses.GetValueOrDefault(p.Name) is not (null or "Skipped") && before.Predictions[p.Name].Diverged.Count > 0);
            Check(run.ExitCode == (diverged ? 1 : 0), $"{label}: exit code {run.ExitCode}, expected {(diverged ? 1 : 0)}\n{run}");
        }
        Trace($"sync: {label}: {string.Join(", ", _pairs.Select(p => $"{p.Name} {a.Statuses.GetValueOrDefault(p.Name)}/{b.Statuses.GetValueOrDefault(p.Name)}"))}");
    }

    private void RacedSync(int round)
    {
        var label = $"round {round} raced by user pushes";
        Counters.RacedRuns++;
        var before = Observe();
        var created = new Dictionary<string, List<string>>();
        using (var process = StartSync(out var logPath))
        {
            var pushes = _random.Next(1, 4);
            for (var i = 0; i < pushes; i++)
            {
                Thread.Sleep(_random.Next(0, 700));
                // Only additive pushes race: what users add must survive whatever the sync does.
                var pair = _pairs[_random.Next(_pairs.Count)];
                var side = _random.Next(2) == 0 ? pair.GitHub : pair.GitLab;
                var refs = side.Refs();
                var branch = refs.Keys.Where(r => r.StartsWith("refs/heads/", StringComparison.Ordinal)).OrderBy(_ => _random.Next()).FirstOrDefault();
                if (branch is null) continue;
                var commit = side.NewCommit(refs[branch]);
                var ok = _random.Next(2) == 0 ? side.TryUpdate(branch, commit, refs[branch]) : side.TryUpdate(NewName("race"), commit, null);
                if (ok) (created.TryGetValue(pair.Name, out var list) ? list : created[pair.Name] = []).Add(commit);
                Trace($"user (racing): {pair.Name} {side}: push {commit[..10]} {(ok ? "accepted" : "refused")}");
            }
            var run = Finish(process, logPath, label);
            Counters.PairSyncs += _pairs.Count;
            Check(run.ExitCode is 0 or 1 or 2, $"{label}: exit code {run.ExitCode}\n{run}");
        }
        foreach (var pair in _pairs) CheckNothingLost(pair, before, label, created.GetValueOrDefault(pair.Name));
        PlainSync($"round {round} after the race");
    }

    private void Repair(int round)
    {
        var candidates = _pairs.SelectMany(p => Resolvable(p).Select(r => (Pair: p, Ref: r))).ToList();
        if (candidates.Count == 0)
        {
            PlainSync($"round {round} (nothing to repair)");
            return;
        }
        var (pair, name) = candidates[_random.Next(candidates.Count)];
        var winner = _random.Next(2) == 0 ? "GitHub" : "GitLab";
        var label = $"round {round} Repair-MirrorDivergence {pair.Name} {name} -Prefer {winner}";
        Counters.Repairs++;
        var before = Observe();
        var result = GitMirrorHost.Run(World.Root, "Repair-MirrorDivergence", "-Name", pair.Name, "-Ref", GitMirrorHost.Quote(name),
            "-Prefer", winner, "-Force", "-Path", GitMirrorHost.Quote(World.ConfigPath));
        Counters.HostRuns++;
        Trace($"repair: {label}: exit {result.ExitCode}");
        Check(result.ExitCode == 0, $"{label}: exit {result.ExitCode}\n{result}");
        foreach (var p in _pairs) CheckNothingLost(p, before, label);
        Check(!pair.Predict().Diverged.Contains(name), $"{label}: still diverged after the repair\n{pair.Snapshot()}\n{result}");
        PlainSync($"round {round} after the repair");
    }

    // ---- the host ---------------------------------------------------------------------------

    private sealed record HostRun(int ExitCode, IReadOnlyDictionary<string, string> Statuses, string Stdout, string Stderr)
    {
        public override string ToString() =>
            $"exit {ExitCode}; {string.Join(", ", Statuses.Select(s => $"{s.Key} {s.Value}"))}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
    }

    private int _logs;

    private Process StartSync(out string logPath)
    {
        logPath = Path.Combine(World.Root, $"run-{Interlocked.Increment(ref _logs)}.jsonl");
        return GitMirrorHost.Start(World.Root, "Sync-MirrorPair", "-All", "-Path", GitMirrorHost.Quote(World.ConfigPath),
            "-LogPath", GitMirrorHost.Quote(logPath));
    }

    private HostRun RunSync(string label)
    {
        using var process = StartSync(out var logPath);
        var run = Finish(process, logPath, label);
        Trace($"sync: {label}: exit {run.ExitCode}; {string.Join(", ", run.Statuses.Select(s => $"{s.Key} {s.Value}"))}");
        return run;
    }

    private HostRun Finish(Process process, string logPath, string label)
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new ModelFailure($"{label}: the host did not finish within 3 minutes\n{Context()}");
        }
        Counters.HostRuns++;
        var statuses = new Dictionary<string, string>(StringComparer.Ordinal);
        if (File.Exists(logPath))
        {
            foreach (var line in File.ReadAllLines(logPath))
            {
                using var json = JsonDocument.Parse(line);
                if (json.RootElement.GetProperty("action").GetString() == "sync")
                {
                    statuses[json.RootElement.GetProperty("pair").GetString()!] = json.RootElement.GetProperty("status").GetString()!;
                }
            }
        }
        return new HostRun(process.ExitCode, statuses, stdout.Result, stderr.Result);
    }

    // ---- reporting --------------------------------------------------------------------------

    private void Trace(string line) => _trace.Add(line);

    private void Check(bool condition, string message)
    {
        if (!condition) throw new ModelFailure($"{message}\n{Context()}");
    }

    private string Context()
    {
        var text = new StringBuilder();
        text.AppendLine($"--- replay: {ReplayCommand(_seed, _rounds)}");
        text.AppendLine($"--- {Counters}");
        text.AppendLine("--- last steps:");
        foreach (var line in _trace.TakeLast(40)) text.AppendLine("  " + line);
        return text.ToString();
    }

    public void Dispose()
    {
        _http.Server.Intercept = null;
        _http.Dispose();
    }
}

/// <summary>A broken invariant, with the seed's replay command and the steps that led to it.</summary>
public sealed class ModelFailure(string message, Exception? inner = null) : Exception(message, inner);
