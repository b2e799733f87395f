using System.Diagnostics;
using GitMirror.Core.Unattended;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.Core.Tests.Unattended;

public class PairLockTests
{
    private const string Pair = "myorg/repo1";

    [Fact]
    public async Task Another_process_holding_the_pair_makes_us_time_out_until_it_is_killed()
    {
        using var cache = new TempDir();
        using var holder = StartHolder(cache.Path, Pair);
        try
        {
            var line = await holder.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(line == "locked", $"the helper did not lock: {line} {await ReadErrorAsync(holder)}");

            Assert.Null(await PairLock.TryAcquireAsync(cache.Path, Pair, TimeSpan.FromMilliseconds(300)));
            var recorded = PairLock.ReadHolder(cache.Path, Pair);
            Assert.NotNull(recorded);
            Assert.Equal(holder.Id, recorded.ProcessId);
            Assert.Equal(Environment.MachineName, recorded.Host);
            Assert.InRange(recorded.HeldFor(DateTimeOffset.UtcNow), TimeSpan.Zero, TimeSpan.FromMinutes(5));

            // SIGKILL: the holder cannot clean up; the OS releases the lock anyway.
            holder.Kill();
            await holder.WaitForExitAsync();
            using var taken = await PairLock.TryAcquireAsync(cache.Path, Pair, TimeSpan.Zero);
            Assert.NotNull(taken);
            Assert.Equal(Environment.ProcessId, PairLock.ReadHolder(cache.Path, Pair)?.ProcessId);
        }
        finally
        {
            if (!holder.HasExited) holder.Kill();
        }
    }

    [Fact]
    public async Task A_second_handle_in_the_same_process_waits_for_the_first()
    {
        using var cache = new TempDir();
        var first = await PairLock.TryAcquireAsync(cache.Path, Pair, TimeSpan.Zero);
        Assert.NotNull(first);
        Assert.Null(await PairLock.TryAcquireAsync(cache.Path, Pair, TimeSpan.FromMilliseconds(50)));

        // Other pairs are independent.
        using (var other = await PairLock.TryAcquireAsync(cache.Path, "myorg/repo2", TimeSpan.Zero))
        {
            Assert.NotNull(other);
        }

        var waiting = PairLock.TryAcquireAsync(cache.Path, Pair, TimeSpan.FromSeconds(30));
        first.Dispose();
        using var second = await waiting;
        Assert.NotNull(second);
    }

    [Fact]
    public async Task Releasing_removes_the_holder_record_but_keeps_the_lock_file()
    {
        using var cache = new TempDir();
        var held = await PairLock.TryAcquireAsync(cache.Path, Pair, TimeSpan.Zero);
        Assert.NotNull(held);
        Assert.Contains($"\"pid\":{Environment.ProcessId}", File.ReadAllText(PairLock.PathFor(cache.Path, Pair) + ".holder.json"));
        held.Dispose();
        held.Dispose();

        Assert.Null(PairLock.ReadHolder(cache.Path, Pair));
        // Deleting it could let a waiter lock a file nobody else sees any more.
        Assert.True(File.Exists(PairLock.PathFor(cache.Path, Pair)));
        Assert.Contains("\"host\":", File.ReadAllText(PairLock.PathFor(cache.Path, Pair)));
    }

    [Fact]
    public async Task Cancellation_stops_the_wait()
    {
        using var cache = new TempDir();
        using var held = await PairLock.TryAcquireAsync(cache.Path, Pair, TimeSpan.Zero);
        using var cancel = new CancellationTokenSource();
        var waiting = PairLock.TryAcquireAsync(cache.Path, Pair, TimeSpan.FromMinutes(5), cancel.Token);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }

    private static Process StartHolder(string cacheDir, string pairName)
    {
        var helper = Path.Combine(AppContext.BaseDirectory, "GitMirror.LockHolder.dll");
        Assert.True(File.Exists(helper), $"missing {helper}");
        var psi = new ProcessStartInfo(DotnetHost(), ["exec", helper, cacheDir, pairName])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        return Process.Start(psi) ?? throw new InvalidOperationException("could not start the lock holder");
    }

    // dotnet test runs the tests under the SDK's muxer and says where it is.
    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
        : Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath!
        : "dotnet";

    private static async Task<string> ReadErrorAsync(Process process) =>
        process.HasExited ? await process.StandardError.ReadToEndAsync() : "";
}
