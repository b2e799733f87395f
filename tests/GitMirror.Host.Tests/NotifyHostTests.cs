using GitMirror.Testing;
using Xunit;

namespace GitMirror.Host.Tests;

/// <summary>
/// Notifications through the real command path: each run is a separate `gitmirror Sync-MirrorPair`
/// process over the same cache, as cron runs are; the webhook sink is real Kestrel HTTP.
/// </summary>
public sealed class NotifyHostTests : IAsyncLifetime
{
    private readonly MirrorWorld _world = new();
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
        _world.Dispose();
    }

    private void Diverge(string name)
    {
        var (github, gitlab) = _world.AddPair(name);
        github.Commit("main");
        gitlab.Commit("main");
        var text = File.ReadAllText(_world.ConfigPath).Replace("repos:\n", $"notify:\n  - kind: webhook\n    urlEnv: {_urlEnv}\nrepos:\n", StringComparison.Ordinal);
        File.WriteAllText(_world.ConfigPath, text);
    }

    private HostResult Sync() => GitMirrorHost.Run(_world.Root, "Sync-MirrorPair", "-All", "-Path", GitMirrorHost.Quote(_world.ConfigPath));

    [Fact]
    public void Separate_processes_tell_a_halt_once_and_a_failed_delivery_changes_no_exit_code_but_shows_in_Get_MirrorStatus()
    {
        Diverge("p");
        var first = Sync();
        var second = Sync();
        Assert.True(first.ExitCode == 1, first.ToString());
        Assert.True(second.ExitCode == 1, second.ToString());
        var message = Assert.Single(_sink.Received);
        Assert.Equal("halted", (string?)message.Json["event"]);
        Assert.Equal("p", (string?)message.Json["pair"]);

        _sink.FailAll = true;
        Diverge("q");
        var third = Sync();
        Assert.True(third.ExitCode == 1, third.ToString());
        Assert.Contains("Could not deliver the halted notification", third.Stderr + third.Stdout);
        Assert.Single(_sink.Received);

        var status = GitMirrorHost.Run(_world.Root, "Get-MirrorStatus", "-Name", "q", "-Path", GitMirrorHost.Quote(_world.ConfigPath), "|", "Format-List", "PairName,LastNotificationError");
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains("LastNotificationError", status.Stdout);
        Assert.Contains("HTTP 500", status.Stdout);
    }
}
