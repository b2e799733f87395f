using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.Host.Tests.Serve;

/// <summary>
/// Three `gitmirror serve` processes on different ports stand in for a StatefulSet's replicas: each
/// owns `-Shard k/3` and forwards events for other pairs to their owner through `-Peers`.
/// </summary>
public sealed class ServeReplicaTests : IDisposable
{
    private const string Secret = "whsec-replicas-7a6b5c";
    private readonly HttpMirrorWorld _http = new();

    public void Dispose() => _http.Dispose();

    [UnixFact]
    public async Task Every_pair_is_synced_by_exactly_its_owner_whichever_replica_got_the_event()
    {
        var world = _http.World;
        var pairs = Enumerable.Range(1, 6).Select(i => $"repo-{i}").ToDictionary(n => n, n => world.AddPair(n));
        var ports = Enumerable.Range(0, 3).Select(_ => ServeProcess.FreePort()).ToArray();
        var peers = string.Join(',', ports.Select(p => $"http://127.0.0.1:{p}"));
        var logs = Enumerable.Range(1, 3).Select(k => Path.Combine(world.Root, $"replica-{k}.jsonl")).ToArray();
        var replicas = new List<ServeProcess>();
        try
        {
            for (var k = 1; k <= 3; k++)
            {
                replicas.Add(ServeProcess.Start(world.Root, Secret, "-Path", world.ConfigPath, "-Listen", $"127.0.0.1:{ports[k - 1]}",
                    "-PollIntervalSec", "0", "-Shard", $"{k}/3", "-Peers", peers, "-LogPath", logs[k - 1]));
            }

            // Every pair gets one event through every replica in turn (a load balancer spreads them).
            var expected = new Dictionary<string, string>();
            var i = 0;
            foreach (var (name, (gitHub, _)) in pairs)
            {
                var sha = gitHub.Commit("main");
                expected[name] = sha;
                var receiver = replicas[i++ % 3];
                var answer = await receiver.GitHubPushAsync($"org/{name}", "refs/heads/main", sha, Secret);
                Assert.Equal(HttpStatusCode.Accepted, answer.StatusCode);
            }
            Assert.True(ServeProcess.Eventually(() => pairs.All(p => p.Value.GitLab.TipOrNull("main") == expected[p.Key]), TimeSpan.FromSeconds(60)),
                string.Join("\n=====\n", replicas.Select(r => r.Output)));

            var owners = pairs.Keys.ToDictionary(n => n, OwnerOf);
            Assert.True(owners.Values.Distinct().Count() > 1, "the test's pairs should spread over several shards");
            // A pair's branch moves before its owner writes the run's log line: wait for the lines too.
            List<string?> SyncedBy(int k) => ServeProcess.LogLines(logs[k - 1])
                .Where(l => l.GetProperty("action").GetString() == "sync").Select(l => l.GetProperty("pair").GetString()).ToList();
            ServeProcess.Eventually(() => Enumerable.Range(1, 3).All(k => SyncedBy(k).Count >= owners.Count(o => o.Value == k)), TimeSpan.FromSeconds(30));
            for (var k = 1; k <= 3; k++)
            {
                var lines = ServeProcess.LogLines(logs[k - 1]);
                var synced = lines.Where(l => l.GetProperty("action").GetString() == "sync").Select(l => l.GetProperty("pair").GetString()).ToList();
                Assert.Equal(owners.Where(o => o.Value == k).Select(o => o.Key).Order(), synced.Order());
                // Forwarded lines name pairs this replica does not own, and the owner answered 202.
                var forwarded = lines.Where(l => l.GetProperty("action").GetString() == "forwarded").ToList();
                Assert.All(forwarded, l =>
                {
                    Assert.NotEqual(k, owners[l.GetProperty("pair").GetString()!]);
                    Assert.Equal("202", l.GetProperty("status").GetString());
                });

                // /status and / of a replica show its shard's pairs only, and say which shard.
                var status = JsonDocument.Parse(await (await replicas[k - 1].GetAsync("/status")).Content.ReadAsStringAsync()).RootElement;
                Assert.Equal(owners.Where(o => o.Value == k).Select(o => o.Key).Order(),
                    status.EnumerateArray().Select(s => s.GetProperty("PairName").GetString()).Order());
                var page = await (await replicas[k - 1].GetAsync("/")).Content.ReadAsStringAsync();
                Assert.Contains($"shard {k} of 3", page);
            }
            Assert.True(ServeProcess.LogLines(logs[0]).Concat(ServeProcess.LogLines(logs[1])).Concat(ServeProcess.LogLines(logs[2]))
                .Count(l => l.GetProperty("action").GetString() == "forwarded") >= 2);

            // An owner that cannot be reached: the event is answered, logged and dropped (the owner's poll catches up).
            var lonely = pairs.Keys.First(n => owners[n] != 1);
            var owner = owners[lonely];
            Assert.Equal(0, replicas[owner - 1].Terminate(TimeSpan.FromSeconds(15)));
            var late = pairs[lonely].GitHub.Commit("main");
            Assert.Equal(HttpStatusCode.Accepted, (await replicas[0].GitHubPushAsync($"org/{lonely}", "refs/heads/main", late, Secret)).StatusCode);
            Assert.True(ServeProcess.Eventually(() => ServeProcess.LogLines(logs[0]).Any(l =>
                l.GetProperty("action").GetString() == "forwarded" && l.GetProperty("status").GetString() == "unreachable"), TimeSpan.FromSeconds(20)), replicas[0].Output);
            Assert.Equal(expected[lonely], pairs[lonely].GitLab.TipOrNull("main"));
        }
        finally
        {
            foreach (var replica in replicas) replica.Dispose();
        }
    }

    /// <summary>design.md §5: SHA-256 of the UTF-8 name, first 8 bytes big-endian, mod n, plus one.</summary>
    private static int OwnerOf(string pairName) =>
        (int)(BinaryPrimitives.ReadUInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(pairName))) % 3) + 1;
}
