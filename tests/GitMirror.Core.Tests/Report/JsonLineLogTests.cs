using System.Text.Json;
using GitMirror.Core.Report;
using GitMirror.Testing;
using Xunit;
using static GitMirror.Core.Tests.Report.TestData;

namespace GitMirror.Core.Tests.Report;

public class JsonLineLogTests
{
    private const string Canary = "ghp_CANARYcanary0123456789";
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Writes_one_line_per_update_and_one_per_pair_with_exactly_the_keys()
    {
        using var dir = new TempDir();
        var log = new JsonLineLog(dir.Combine("sync.jsonl"), "run42", SecretRedactor.None);
        log.Write(Result(MirrorSyncStatus.Failed, T0, error: "push refused", updates:
        [
            new MirrorRefUpdate { Ref = "refs/heads/main", Target = MirrorSide.GitLab, OldSha = "a1", NewSha = "b2", Succeeded = true },
            new MirrorRefUpdate { Ref = "refs/tags/v1", Target = MirrorSide.GitHub, NewSha = "c3", Succeeded = false, Message = "protected" },
        ]));

        var lines = ReadLines(log.Path);
        Assert.Equal(3, lines.Count);
        foreach (var line in lines)
        {
            Assert.Equal(JsonLineLog.Keys, line.RootElement.EnumerateObject().Select(p => p.Name));
            Assert.Equal("run42", line.RootElement.GetProperty("runId").GetString());
            Assert.Equal("myorg/repo1", line.RootElement.GetProperty("pair").GetString());
            var time = DateTimeOffset.Parse(line.RootElement.GetProperty("time").GetString()!);
            Assert.Equal(TimeSpan.Zero, time.Offset);
            Assert.EndsWith("Z", line.RootElement.GetProperty("time").GetString());
        }

        var update = lines[0].RootElement;
        Assert.Equal("refs/heads/main", update.GetProperty("ref").GetString());
        Assert.Equal("update", update.GetProperty("action").GetString());
        Assert.Equal("GitLab", update.GetProperty("target").GetString());
        Assert.Equal("a1", update.GetProperty("oldSha").GetString());
        Assert.Equal("b2", update.GetProperty("newSha").GetString());
        Assert.Equal("Succeeded", update.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, update.GetProperty("durationMs").ValueKind);
        Assert.Equal(JsonValueKind.Null, update.GetProperty("error").ValueKind);

        var created = lines[1].RootElement;
        Assert.Equal("create", created.GetProperty("action").GetString());
        Assert.Equal(JsonValueKind.Null, created.GetProperty("oldSha").ValueKind);
        Assert.Equal("Failed", created.GetProperty("status").GetString());
        Assert.Equal("protected", created.GetProperty("error").GetString());

        var pair = lines[2].RootElement;
        Assert.Equal("sync", pair.GetProperty("action").GetString());
        Assert.Equal(JsonValueKind.Null, pair.GetProperty("ref").ValueKind);
        Assert.Equal(JsonValueKind.Null, pair.GetProperty("target").ValueKind);
        Assert.Equal("Failed", pair.GetProperty("status").GetString());
        Assert.Equal(1234, pair.GetProperty("durationMs").GetInt64());
        Assert.Equal("push refused", pair.GetProperty("error").GetString());
    }

    [Fact]
    public void Tokens_in_error_messages_never_reach_the_file()
    {
        using var dir = new TempDir();
        var log = new JsonLineLog(dir.Combine("sync.jsonl"), "r", new SecretRedactor([Canary]));
        log.Write(Result(MirrorSyncStatus.Failed, T0, error: $"fatal: could not read from https://x:{Canary}@gitlab.com/a.git", updates:
        [
            new MirrorRefUpdate { Ref = "refs/heads/main", Target = MirrorSide.GitHub, NewSha = "b2", Message = $"hook echoed {Uri.EscapeDataString(Canary + "/")}" },
        ]));

        var text = File.ReadAllText(log.Path);
        Assert.DoesNotContain("CANARY", text);
        Assert.Contains("https://x:***@gitlab.com", text);
        Assert.Equal(2, ReadLines(log.Path).Count);
    }

    [Fact]
    public void Parallel_pairs_and_a_second_process_on_the_same_file_write_whole_lines()
    {
        using var dir = new TempDir();
        var path = dir.Combine("sync.jsonl");
        // Two instances stand for two overlapping runs: separate handles, as two processes have.
        var logs = new[] { new JsonLineLog(path, "run1", SecretRedactor.None), new JsonLineLog(path, "run2", SecretRedactor.None) };
        var longError = new string('x', 20_000); // larger than any stream buffer
        Parallel.For(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
            logs[i % 2].WriteResult(Result(MirrorSyncStatus.Failed, T0, name: $"org/repo{i}", error: $"{i}:{longError}")));

        var lines = ReadLines(path);
        Assert.Equal(400, lines.Count);
        Assert.Equal(Enumerable.Range(0, 400).Select(i => $"org/repo{i}").Order(StringComparer.Ordinal),
            lines.Select(l => l.RootElement.GetProperty("pair").GetString()!).Order(StringComparer.Ordinal));
        Assert.All(lines, l => Assert.EndsWith(longError, l.RootElement.GetProperty("error").GetString()));
    }

    [Fact]
    public void Appends_to_an_existing_file()
    {
        using var dir = new TempDir();
        var path = dir.Combine("sync.jsonl");
        File.WriteAllText(path, "{\"earlier\":true}\n");
        new JsonLineLog(path, "r", SecretRedactor.None).WriteResult(Result(MirrorSyncStatus.UpToDate, T0));
        var lines = File.ReadAllLines(path);
        Assert.Equal(2, lines.Length);
        Assert.Equal("{\"earlier\":true}", lines[0]);
    }

    private static List<JsonDocument> ReadLines(string path) =>
        File.ReadAllLines(path).Select(line => JsonDocument.Parse(line)).ToList();
}
