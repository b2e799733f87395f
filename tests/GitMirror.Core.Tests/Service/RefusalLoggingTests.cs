using System.Collections.Concurrent;
using GitMirror.Core.Config;
using GitMirror.Core.Service;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.Core.Tests.Service;

/// <summary>A flood of refused webhooks: every one counted, a handful logged, then one summary line.</summary>
public sealed class RefusalLoggingTests : IDisposable
{
    private readonly MirrorWorld _world = new();

    public void Dispose() => _world.Dispose();

    private sealed class NoLog : IMirrorLog
    {
        public void Verbose(string message)
        {
        }

        public void Warning(string message)
        {
        }
    }

    [Fact]
    public void A_thousand_refusals_are_all_counted_but_logged_as_ten_lines_and_one_summary()
    {
        _world.AddPair("app");
        var logPath = Path.Combine(_world.Root, "serve.jsonl");
        var said = new ConcurrentQueue<string>();
        var service = new MirrorService(new MirrorServiceOptions
        {
            Config = ConfigLoader.Load(_world.ConfigPath),
            Secret = "whsec-refusal-4d5e6f",
            PollInterval = TimeSpan.Zero,
            LogPath = logPath,
            RefusalLogInterval = TimeSpan.FromSeconds(3),
        }, new NoLog(), said.Enqueue);

        for (var i = 0; i < 1000; i++) service.Handle(new WebhookDecision(WebhookOutcome.Unauthorized, MirrorSide.GitHub, "missing X-Hub-Signature-256"), 0);

        Assert.Equal(1000, service.Metrics.EventCount(MirrorSide.GitHub, "unauthorized"));
        Assert.Equal(10, said.Count);
        Assert.Equal(10, File.ReadAllLines(logPath).Length);

        Thread.Sleep(3100);
        service.Handle(new WebhookDecision(WebhookOutcome.Unauthorized, MirrorSide.GitLab, "wrong X-Gitlab-Token"), 0);
        var summary = Assert.Single(said, l => l.Contains("990 more webhooks refused", StringComparison.Ordinal));
        Assert.Contains("GitHub: 990", summary);
        var lines = File.ReadAllLines(logPath);
        Assert.Equal(12, lines.Length); // ten, the summary, and the first of the new interval
        Assert.Contains(lines, l => l.Contains("\"suppressed\"", StringComparison.Ordinal) && l.Contains("990 more", StringComparison.Ordinal));
        Assert.Equal(1001, service.Metrics.EventCount(MirrorSide.GitHub, "unauthorized") + service.Metrics.EventCount(MirrorSide.GitLab, "unauthorized"));
    }
}
