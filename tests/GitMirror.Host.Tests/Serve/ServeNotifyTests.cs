using System.Text.Json;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.Host.Tests.Serve;

/// <summary>`gitmirror serve` polls a halted pair again and again, and tells the halt once, then the recovery once.</summary>
public sealed class ServeNotifyTests : IAsyncLifetime
{
    private const string Secret = "whsec-CANARY-serve-notify";
    private readonly HttpMirrorWorld _http = new();
    private readonly string _urlEnv = "GM_TEST_NOTIFY_URL_" + Guid.NewGuid().ToString("N");
    private NotificationSink _sink = null!;

    public async Task InitializeAsync()
    {
        _sink = await NotificationSink.StartAsync();
        Environment.SetEnvironmentVariable(_urlEnv, _sink.Url());
    }

    public async Task DisposeAsync()
    {
        Environment.SetEnvironmentVariable(_urlEnv, null);
        await _sink.DisposeAsync();
        _http.Dispose();
    }

    [UnixFact]
    public async Task A_pair_halted_across_many_polls_is_told_once_and_its_recovery_once()
    {
        var world = _http.World;
        var (github, gitlab) = world.AddPair("widgets");
        github.Commit("main");
        gitlab.Commit("main");
        File.WriteAllText(world.ConfigPath, File.ReadAllText(world.ConfigPath)
            .Replace("repos:\n", $"notify:\n  - kind: webhook\n    urlEnv: {_urlEnv}\nrepos:\n", StringComparison.Ordinal));
        var log = Path.Combine(world.Root, "serve.jsonl");
        using var serve = ServeProcess.Start(world.Root, Secret, "-Path", world.ConfigPath, "-Listen", "127.0.0.1:0", "-PollIntervalSec", "1", "-LogPath", log);

        int Syncs() => ServeProcess.LogLines(log).Count(l => l.GetProperty("action").GetString() == "sync");
        Assert.True(ServeProcess.Eventually(() => Syncs() >= 3, TimeSpan.FromSeconds(60)), serve.Output);
        Assert.Equal("halted", Assert.Single(_sink.Received).Header("X-GitMirror-Event"));

        Git.Run(gitlab.BarePath, "fetch", "--quiet", github.BarePath, "+refs/heads/main:refs/heads/main");
        Assert.True(ServeProcess.Eventually(() => _sink.Received.Count == 2, TimeSpan.FromSeconds(60)), serve.Output);
        var after = Syncs();
        Assert.True(ServeProcess.Eventually(() => Syncs() >= after + 2, TimeSpan.FromSeconds(60)), serve.Output);
        Assert.Equal(["halted", "recovered"], _sink.Received.Select(d => d.Header("X-GitMirror-Event")));

        using var status = JsonDocument.Parse(await (await serve.GetAsync("/status")).Content.ReadAsStringAsync());
        var pair = status.RootElement.EnumerateArray().Single();
        Assert.Equal(JsonValueKind.Null, pair.GetProperty("LastNotificationError").ValueKind);
    }
}
