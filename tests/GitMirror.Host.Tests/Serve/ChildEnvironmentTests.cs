using System.Text;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.Host.Tests.Serve;

/// <summary>
/// What another process of the same user could read: the environment of every git child of the
/// real `gitmirror serve`, read from /proc while the git server holds the child's request.
/// </summary>
public sealed class ChildEnvironmentTests : IDisposable
{
    private const string Secret = "whsec-CANARY-env-7f6e5d";
    private const string DefaultGitHubToken = "ghp_CANARY_default_0a1b2c";
    private const string DefaultGitLabToken = "glpat-CANARY_default_3d4e5f";
    private const string StatusToken = "status-CANARY-env-6a7b8c";

    private readonly HttpMirrorWorld _http = new();

    public void Dispose() => _http.Dispose();

    [UnixFact]
    public async Task No_git_child_inherits_a_token_the_webhook_secret_or_the_status_token_and_the_service_is_not_dumpable_from_the_start()
    {
        var world = _http.World;
        var (gitHub, _) = world.AddPair("acme/alpha", "acme/alpha", "acme/alpha");
        gitHub.Commit("main");
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _http.Server.Intercept = async context =>
        {
            // The git CLI's requests (git-remote-http), not GitMirror's own HTTP reads.
            var agent = context.Request.Headers.UserAgent.ToString();
            if (agent.StartsWith("git/", StringComparison.Ordinal) && !agent.Contains("GitMirror", StringComparison.Ordinal) && held.TrySetResult())
            {
                await release.Task.WaitAsync(TimeSpan.FromSeconds(60));
            }
            return false;
        };
        using var serve = ServeProcess.Start(world.Root, Secret, new Dictionary<string, string>
        {
            ["GITHUB_TOKEN"] = DefaultGitHubToken,
            ["GITLAB_TOKEN"] = DefaultGitLabToken,
            ["GITMIRROR_STATUS_TOKEN"] = StatusToken,
            ["GITMIRROR_TRACE_STARTUP"] = "1",
        }, "-Path", world.ConfigPath, "-Listen", "127.0.0.1:0", "-PollIntervalSec", "300");
        try
        {
            Assert.True(await Task.WhenAny(held.Task, Task.Delay(TimeSpan.FromSeconds(90))) == held.Task, "no git request arrived:\n" + serve.Output);
            var children = Descendants(serve.Pid);
            Assert.Contains(children, pid => Command(pid).Contains("git", StringComparison.Ordinal));
            var canaries = new[] { DefaultGitHubToken, DefaultGitLabToken, StatusToken, Secret, _http.GitHubToken, _http.GitLabToken };
            foreach (var pid in children)
            {
                var environment = Environ(pid);
                if (environment is null) continue; // exited meanwhile
                foreach (var canary in canaries) Assert.False(environment.Contains(canary, StringComparison.Ordinal), $"{Command(pid)} (pid {pid}) has {canary} in its environment");
                Assert.DoesNotContain(world.GitHubTokenEnv + "=", environment);
                Assert.DoesNotContain(world.GitLabTokenEnv + "=", environment);
                Assert.DoesNotContain("GITMIRROR_WEBHOOK_SECRET=", environment);
            }
        }
        finally
        {
            release.TrySetResult();
        }
        // Marked non-dumpable first thing, before the config or any secret was read.
        Assert.True(ServeProcess.Eventually(() => serve.Output.Contains("runtime started, not dumpable", StringComparison.Ordinal), TimeSpan.FromSeconds(5)), serve.Output);
        if (Environment.UserName != "root")
        {
            Assert.Throws<UnauthorizedAccessException>(() => File.ReadAllBytes($"/proc/{serve.Pid}/environ"));
        }
    }

    private static string? Environ(int pid)
    {
        try
        {
            return Encoding.UTF8.GetString(File.ReadAllBytes($"/proc/{pid}/environ")).Replace('\0', '\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string Command(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>Every living descendant of <paramref name="root"/>, from /proc/*/stat's parent ids.</summary>
    private static List<int> Descendants(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[pid] = int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
            }
        }
        var found = new List<int>();
        var queue = new Queue<int>([root]);
        while (queue.Count > 0)
        {
            var parent = queue.Dequeue();
            foreach (var (pid, ppid) in parents)
            {
                if (ppid != parent) continue;
                found.Add(pid);
                queue.Enqueue(pid);
            }
        }
        return found;
    }
}
