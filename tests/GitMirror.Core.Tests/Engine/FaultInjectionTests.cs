using GitMirror.Core.Config;
using GitMirror.Core.Engine;
using GitMirror.Core.Unattended;
using GitMirror.Testing;
using Microsoft.AspNetCore.Http;
using Xunit;
using Xunit.Abstractions;

namespace GitMirror.Core.Tests.Engine;

/// <summary>
/// Issue 10: a fault-injecting proxy between GitMirror and the git server. Whatever the fault (a pack
/// reset in the middle, a stall, 500, 429 with and without Retry-After, a truncated answer, a slow
/// drip) and wherever it lands (the ref advertisement, a fetch, a push), the run ends with a correct
/// status, every change it made on a side is in its report, and the next run converges.
/// </summary>
public sealed class FaultInjectionTests : IDisposable
{
    private static int _faultsInjected;
    private readonly HttpMirrorWorld _http = new();
    private readonly FaultProxy _proxy;
    private readonly ITestOutputHelper _output;

    public FaultInjectionTests(ITestOutputHelper output)
    {
        _output = output;
        _proxy = FaultProxy.Start(_http.Server.BaseUrl);
        World.GitHubUrl = _proxy.BaseUrl + "/github";
        World.GitLabUrl = _proxy.BaseUrl + "/gitlab";
    }

    private MirrorWorld World => _http.World;

    public void Dispose()
    {
        _proxy.Dispose();
        _http.Dispose();
    }

    public static TheoryData<FaultKind, string> Faults()
    {
        var data = new TheoryData<FaultKind, string>();
        foreach (var fault in Enum.GetValues<FaultKind>().Where(f => f is not FaultKind.None and not FaultKind.Stall))
        {
            foreach (var where in new[] { "advertisement", "fetch", "push" })
            {
                if (!LeavesGitWaiting(fault, where)) data.Add(fault, where);
            }
        }
        return data;
    }

    /// <summary>Faults that leave git waiting until the transfer timeout (a push whose answer ends early leaves git 2.39 waiting forever).</summary>
    private static bool LeavesGitWaiting(FaultKind fault, string where) => fault == FaultKind.Stall || (fault == FaultKind.Truncate && where == "push");

    public static TheoryData<FaultKind, string> HangingFaults()
    {
        var data = new TheoryData<FaultKind, string>();
        foreach (var fault in Enum.GetValues<FaultKind>())
        {
            foreach (var where in new[] { "advertisement", "fetch", "push" })
            {
                if (LeavesGitWaiting(fault, where)) data.Add(fault, where);
            }
        }
        return data;
    }

    private static Func<HttpRequest, bool> Where(string where) => where switch
    {
        "advertisement" => FaultProxy.IsAdvertisement,
        "fetch" => FaultProxy.IsUploadPack,
        _ => FaultProxy.IsReceivePack,
    };

    /// <summary>GitHub: main (3 commits), an annotated tag, a feature branch; GitLab: a branch of its own. Everything moves both ways.</summary>
    private (RepoBuilder GitHub, RepoBuilder GitLab) PairWithWorkBothWays()
    {
        var (github, gitlab) = World.AddPair("app");
        var main = github.Commits(3);
        github.Tag("v1", main, "release");
        github.Commit("feature", from: main);
        gitlab.Commit("from-gitlab");
        return (github, gitlab);
    }

    private MirrorPair Pair() => ConfigLoader.Load(World.ConfigPath).Pairs.Single();

    private static SyncRun NewRun(MirrorPair pair) => new([pair], new SyncRunOptions
    {
        Retry = new MirrorRetryOptions { BaseDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromSeconds(2) },
    }, NullMirrorLog.Instance);

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task A_fault_anywhere_ends_with_a_true_report_and_the_next_run_converges(FaultKind fault, string where)
    {
        var (github, gitlab) = PairWithWorkBothWays();
        var before = (GitHub: RepoBuilder.Refs(github.BarePath), GitLab: RepoBuilder.Refs(gitlab.BarePath));
        _proxy.Choose = FaultProxy.Nth(fault, 1, Where(where));

        var faulted = await NewRun(Pair()).SyncAsync(Pair(), _ => true, CancellationToken.None);
        _proxy.Choose = null;
        Interlocked.Add(ref _faultsInjected, _proxy.FaultsInjected);
        _output.WriteLine($"{fault} on {where}: {faulted.Result.Status} {faulted.Result.Error} ({_proxy.FaultsInjected} faults, {_faultsInjected} in this class so far)");

        Assert.Equal(1, _proxy.FaultsInjected);
        AssertTrueReport(faulted.Result, before, github, gitlab);
        await AssertConverges(github, gitlab);
    }

    [Theory]
    [MemberData(nameof(HangingFaults))]
    public async Task A_stalled_server_or_a_hung_git_times_out_and_the_next_run_converges(FaultKind fault, string where)
    {
        var (github, gitlab) = PairWithWorkBothWays();
        _proxy.Choose = FaultProxy.Nth(fault, 1, Where(where));

        // A child process, so the transfer timeout can be short (GITMIRROR_TIMEOUT_SEC is read once per process).
        var (code, output) = await ChildSync.RunAsync(World.ConfigPath, new Dictionary<string, string> { ["GITMIRROR_TIMEOUT_SEC"] = "2" });
        _proxy.Choose = null;
        Interlocked.Add(ref _faultsInjected, _proxy.FaultsInjected);
        _output.WriteLine($"{fault} on {where}: {output.Trim()}");

        Assert.Equal(0, code);
        Assert.True(output.Contains("app Synced", StringComparison.Ordinal) || output.Contains("app Failed", StringComparison.Ordinal), output);
        if (output.Contains("app Synced", StringComparison.Ordinal))
        {
            Assert.Equal(RepoBuilder.Refs(github.BarePath), RepoBuilder.Refs(gitlab.BarePath));
        }
        await AssertConverges(github, gitlab);
    }

    /// <summary>
    /// The run's status agrees with its updates; every succeeded update is on its side; and every ref a
    /// side changed is in the updates: nothing was applied without being reported.
    /// </summary>
    private static void AssertTrueReport(MirrorSyncResult result, (Dictionary<string, string> GitHub, Dictionary<string, string> GitLab) before,
        RepoBuilder github, RepoBuilder gitlab)
    {
        Assert.True(result.Status is MirrorSyncStatus.Synced or MirrorSyncStatus.Failed, $"{result.Status}: {result.Error}");
        Assert.Equal(result.Status == MirrorSyncStatus.Failed, result.Updates.Length == 0 || result.Updates.Any(u => !u.Succeeded));
        if (result.Status == MirrorSyncStatus.Failed) Assert.False(string.IsNullOrWhiteSpace(result.Error));
        foreach (var (side, repo, old) in new[] { (MirrorSide.GitHub, github, before.GitHub), (MirrorSide.GitLab, gitlab, before.GitLab) })
        {
            var now = RepoBuilder.Refs(repo.BarePath);
            foreach (var update in result.Updates.Where(u => u.Target == side && u.Succeeded))
            {
                Assert.Equal(update.NewSha, now.GetValueOrDefault(update.Ref));
            }
            var changed = now.Where(r => old.GetValueOrDefault(r.Key) != r.Value).Select(r => r.Key);
            foreach (var refName in changed)
            {
                Assert.Contains(result.Updates, u => u.Target == side && u.Ref == refName);
            }
            Assert.All(old.Keys, k => Assert.True(now.ContainsKey(k), $"{k} disappeared from {side}"));
        }
    }

    private async Task AssertConverges(RepoBuilder github, RepoBuilder gitlab)
    {
        var next = await NewRun(Pair()).SyncAsync(Pair(), _ => true, CancellationToken.None);
        Assert.True(next.Result.Status is MirrorSyncStatus.Synced or MirrorSyncStatus.UpToDate, $"{next.Result.Status}: {next.Result.Error}");
        Assert.Equal(RepoBuilder.Refs(github.BarePath).OrderBy(r => r.Key), RepoBuilder.Refs(gitlab.BarePath).OrderBy(r => r.Key));
        var again = await NewRun(Pair()).SyncAsync(Pair(), _ => true, CancellationToken.None);
        Assert.Equal(MirrorSyncStatus.UpToDate, again.Result.Status);
    }
}
