using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using GitMirror.Core.Service;
using Xunit;

namespace GitMirror.Core.Tests.Service;

/// <summary>One captured GitHub delivery, replayed as an attacker would: new delivery ids, huge ids, a flood.</summary>
public class ReplayFloodTests
{
    private const string Secret = "whsec-replay-1a2b3c";
    private static readonly MirrorPair Widgets = WebhookReceiverTests.Pair("widgets", "acme/widgets", "acme/widgets");

    private static byte[] Push(string after) =>
        Encoding.UTF8.GetBytes($$$"""{"ref":"refs/heads/main","before":"2222222222222222222222222222222222222222","after":"{{{after}}}","repository":{"full_name":"acme/widgets"}}""");

    private static Func<string, string?> Headers(byte[] body, string delivery) => name => name switch
    {
        "X-GitHub-Event" => "push",
        "X-GitHub-Delivery" => delivery,
        "X-Hub-Signature-256" => WebhookSignature.SignGitHub(body, Encoding.UTF8.GetBytes(Secret)),
        _ => null,
    };

    [Fact]
    public void One_signed_delivery_resent_under_8000_new_ids_is_accepted_once()
    {
        var receiver = new WebhookReceiver(new PairDirectory([Widgets]), Secret, new DeliveryMemory(), routing: null);
        var body = Push("1111111111111111111111111111111111111111");

        var outcomes = Enumerable.Range(0, 8000).Select(_ => receiver.Decide(MirrorSide.GitHub, Headers(body, Guid.NewGuid().ToString()), body).Outcome).ToList();

        Assert.Equal(1, outcomes.Count(o => o == WebhookOutcome.Accepted));
        Assert.Equal(7999, outcomes.Count(o => o == WebhookOutcome.Ignored));
        // A new push (another body) is still accepted.
        var next = Push("3333333333333333333333333333333333333333");
        Assert.Equal(WebhookOutcome.Accepted, receiver.Decide(MirrorSide.GitHub, Headers(next, Guid.NewGuid().ToString()), next).Outcome);
    }

    [Fact]
    public void Thirty_kilobyte_delivery_ids_do_not_grow_the_memory_with_their_length()
    {
        var memory = new DeliveryMemory();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var id = new StringBuilder(new string('x', 30 * 1024));
        for (var i = 0; i < 5000; i++)
        {
            id.Insert(0, i % 10);
            id.Length = 30 * 1024;
            Assert.True(memory.TryRemember("GitHub:" + id));
        }
        var grown = GC.GetTotalMemory(forceFullCollection: true) - before;
        GC.KeepAlive(memory);
        // 5,000 ids of 30 KB are 300 MB as strings; their digests stay near 1 MB.
        Assert.True(grown < 8L * 1024 * 1024, $"the delivery memory grew by {grown / 1024} KB");
        Assert.Equal(5000, memory.Count);
    }

    [Fact]
    public async Task A_flood_of_distinct_events_cannot_sync_a_pair_faster_than_its_minimum_interval()
    {
        var syncs = new ConcurrentQueue<long>();
        var scheduler = new PairSyncScheduler((pair, _) =>
        {
            syncs.Enqueue(Stopwatch.GetTimestamp());
            return Task.FromResult<MirrorSyncResult?>(null);
        }, TimeSpan.FromMilliseconds(10), 4, minInterval: TimeSpan.FromMilliseconds(500));

        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(2))
        {
            scheduler.Request(Widgets, Stopwatch.GetTimestamp());
            await Task.Delay(5);
        }
        await scheduler.IdleAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);

        // Two seconds of events at one every 5 ms: at most one sync per 500 ms, and the last events are served.
        Assert.InRange(syncs.Count, 2, 6);
        var starts = syncs.ToArray();
        for (var i = 1; i < starts.Length; i++) Assert.True(Stopwatch.GetElapsedTime(starts[i - 1], starts[i]) >= TimeSpan.FromMilliseconds(490));
    }
}
