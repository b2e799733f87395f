using GitMirror.Core.Unattended;

// Usage: GitMirror.LockHolder CACHE_DIR PAIR_NAME
// Prints "locked" once it holds the pair's lock, then holds it until the process is killed.
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: GitMirror.LockHolder CACHE_DIR PAIR_NAME");
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
