using GitMirror.Core;
using GitMirror.Core.Config;
using GitMirror.Core.Engine;
using GitMirror.Core.Unattended;

// A second process for tests that need one:
//   GitMirror.LockHolder CACHE_DIR PAIR_NAME   takes the pair's lock, prints "locked", holds it until killed.
//   GitMirror.LockHolder sync CONFIG           syncs every pair of CONFIG like a cron run (to be killed mid-sync).
//   GitMirror.LockHolder dumpable CONFIG       prints whether the process is dumpable before and after reading a token.
if (args.Length == 2 && args[0] == "sync")
{
    var config = ConfigLoader.Load(args[1]);
    var run = new SyncRun(config.Pairs, new SyncRunOptions(), NullMirrorLog.Instance);
    foreach (var pair in config.Pairs)
    {
        var outcome = await run.SyncAsync(pair, _ => true, CancellationToken.None);
        Console.Out.WriteLine($"{pair.Name} {outcome.Result.Status} {outcome.Result.Error}".TrimEnd());
    }
    return 0;
}
if (args.Length == 2 && args[0] == "dumpable")
{
    // Whether reading a pair's token makes the process non-dumpable (issue 12, item 12).
    var before = GitMirror.Core.Transport.ProcessHardening.IsDumpable;
    var credential = GitMirror.Core.Observe.RemoteEndpoint.For(ConfigLoader.Load(args[1]).Pairs[0], GitMirror.MirrorSide.GitHub).Credential();
    Console.Out.WriteLine($"{before} {GitMirror.Core.Transport.ProcessHardening.IsDumpable} {credential is not null}");
    return 0;
}
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: GitMirror.LockHolder CACHE_DIR PAIR_NAME | GitMirror.LockHolder sync CONFIG");
    return 3;
}

var held = await PairLock.TryAcquireAsync(args[0], args[1], TimeSpan.FromSeconds(30));
if (held is null)
{
    Console.Error.WriteLine("lock busy");
    return 1;
}
Console.Out.WriteLine("locked");
Console.Out.Flush();
await Task.Delay(Timeout.Infinite);
return 0;
