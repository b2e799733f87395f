using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace GitMirror.Host.Tests.Serve;

/// <summary>A running <c>gitmirror serve</c> child process, talked to over real HTTP.</summary>
public sealed partial class ServeProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();

    private ServeProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) _stdout.Enqueue(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) _stderr.Enqueue(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>The -StatusListen address, when given.</summary>
    public Uri? StatusUrl { get; private set; }

    /// <summary>The process id of the service (for /proc reads).</summary>
    public int Pid => _process.Id;

    public string Output => string.Join('\n', _stdout) + "\n--- stderr\n" + string.Join('\n', _stderr);

    public bool HasExited => _process.HasExited;

    /// <summary>Starts <c>gitmirror serve</c> with <paramref name="args"/> and waits until it listens.</summary>
    /// <param name="secret">GITMIRROR_WEBHOOK_SECRET for the child (null: unset).</param>
    public static ServeProcess Start(string workDir, string? secret, params string[] args) => Start(workDir, secret, null, args);

    /// <summary>As <see cref="Start(string, string?, string[])"/>, with more environment variables for the child.</summary>
    public static ServeProcess Start(string workDir, string? secret, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var startInfo = StartInfo(workDir, secret, args);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) startInfo.Environment[name] = value;
        var process = Process.Start(startInfo)!;
        var serve = new ServeProcess(process);
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(90))
        {
            var listening = serve._stdout.Select(l => ListeningLine().Match(l)).FirstOrDefault(m => m.Success);
            if (listening is not null)
            {
                serve.BaseUrl = new Uri(listening.Groups["url"].Value);
                if (args.Contains("-StatusListen"))
                {
                    // Said right after the first line.
                    ServeProcess.Eventually(() => serve._stdout.Any(l => StatusLine().IsMatch(l)), TimeSpan.FromSeconds(10));
                    serve.StatusUrl = new Uri(serve._stdout.Select(l => StatusLine().Match(l)).First(m => m.Success).Groups["url"].Value);
                }
                return serve;
            }
            if (process.HasExited)
            {
                process.WaitForExit();
                throw new InvalidOperationException($"gitmirror serve exited with {process.ExitCode} before listening:\n{serve.Output}");
            }
            Thread.Sleep(50);
        }
        serve.Dispose();
        throw new TimeoutException("gitmirror serve did not listen within 90 s:\n" + serve.Output);
    }

    /// <summary>Runs <c>gitmirror serve</c> expecting it not to start: (exit code, stderr).</summary>
    public static (int ExitCode, string Stderr) RunToExit(string workDir, string? secret, params string[] args)
    {
        using var process = Process.Start(StartInfo(workDir, secret, args))!;
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill();
            throw new TimeoutException("gitmirror serve kept running");
        }
        return (process.ExitCode, stderr.Result);
    }

    private static ProcessStartInfo StartInfo(string workDir, string? secret, string[] args)
    {
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        psi.ArgumentList.Add(GitMirrorHost.HostDll);
        psi.ArgumentList.Add("serve");
        foreach (var arg in args) psi.ArgumentList.Add(arg);
        psi.Environment.Remove("GITMIRROR_CONFIG");
        psi.Environment.Remove("GITMIRROR_MODULE_PATH");
        if (secret is null) psi.Environment.Remove("GITMIRROR_WEBHOOK_SECRET");
        else psi.Environment["GITMIRROR_WEBHOOK_SECRET"] = secret;
        return psi;
    }

    /// <summary>SIGTERM, as systemd and Kubernetes stop a service; returns the exit code, or throws when it did not exit in time.</summary>
    public int Terminate(TimeSpan within)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("SIGTERM needs POSIX");
        Kill(_process.Id, 15);
        if (!_process.WaitForExit((int)within.TotalMilliseconds)) throw new TimeoutException($"gitmirror serve did not exit within {within.TotalSeconds} s of SIGTERM:\n{Output}");
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public Task<HttpResponseMessage> GetAsync(string path) => Http.GetAsync(new Uri(BaseUrl, path));

    public Task<HttpResponseMessage> PostAsync(string path, HttpContent content, params (string Name, string Value)[] headers)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, new Uri(BaseUrl, path)) { Content = content };
        foreach (var (name, value) in headers) message.Headers.TryAddWithoutValidation(name, value);
        return Http.SendAsync(message);
    }

    /// <summary>A GitHub push delivery, signed with <paramref name="secret"/> (null: unsigned).</summary>
    public Task<HttpResponseMessage> GitHubPushAsync(string fullName, string @ref, string after, string? secret, string? delivery = null, string eventName = "push", string? before = null)
    {
        var body = Webhooks.GitHubPush(fullName, @ref, after, before);
        var headers = new List<(string, string)> { ("X-GitHub-Event", eventName), ("X-GitHub-Delivery", delivery ?? Guid.NewGuid().ToString()) };
        if (secret is not null) headers.Add(("X-Hub-Signature-256", Webhooks.Sign(body, secret)));
        return PostAsync("/hooks/github", Webhooks.Json(body), [.. headers]);
    }

    /// <summary>A GitLab Push Hook (or Tag Push Hook for refs/tags/) with X-Gitlab-Token <paramref name="token"/>.</summary>
    public Task<HttpResponseMessage> GitLabPushAsync(string path, string @ref, string after, string? token, string? uuid = null)
    {
        var body = Webhooks.GitLabPush(path, @ref, after);
        var headers = new List<(string, string)>
        {
            ("X-Gitlab-Event", @ref.StartsWith("refs/tags/", StringComparison.Ordinal) ? "Tag Push Hook" : "Push Hook"),
            ("X-Gitlab-Event-UUID", uuid ?? Guid.NewGuid().ToString()),
        };
        if (token is not null) headers.Add(("X-Gitlab-Token", token));
        return PostAsync("/hooks/gitlab", Webhooks.Json(body), [.. headers]);
    }

    /// <summary>A TCP port free right now on 127.0.0.1 (for replicas that must know each other's URLs up front).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits until <paramref name="condition"/> holds; false on timeout.</summary>
    public static bool Eventually(Func<bool> condition, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < within)
        {
            if (condition()) return true;
            Thread.Sleep(50);
        }
        return condition();
    }

    /// <summary>The JSON lines of a -LogPath file.</summary>
    public static List<JsonElement> LogLines(string path)
    {
        // The service holds the file's exclusive lock for each line it appends: read around that.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                if (!File.Exists(path)) return [];
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                var text = new StreamReader(stream).ReadToEnd();
                return [.. text.Split('\n').Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
            }
            catch (IOException) when (attempt < 200)
            {
                Thread.Sleep(10);
            }
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    [System.Text.RegularExpressions.GeneratedRegex(@"Listening on (?<url>http://\S+)")]
    private static partial System.Text.RegularExpressions.Regex ListeningLine();

    [System.Text.RegularExpressions.GeneratedRegex(@"Status pages on (?<url>http://\S+)")]
    private static partial System.Text.RegularExpressions.Regex StatusLine();
}

/// <summary>Webhook bodies shaped as the forges send them (the fields the service reads, and some it does not).</summary>
public static class Webhooks
{
    public const string ZeroSha = "0000000000000000000000000000000000000000";

    public static byte[] GitHubPush(string fullName, string @ref, string after, string? before = null) => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>
    {
        ["ref"] = @ref,
        ["before"] = before ?? ZeroSha,
        ["after"] = after,
        ["created"] = before is null,
        ["deleted"] = after == ZeroSha,
        ["forced"] = false,
        ["repository"] = new Dictionary<string, object?> { ["id"] = 1296269, ["name"] = fullName.Split('/')[1], ["full_name"] = fullName, ["private"] = true },
        ["pusher"] = new Dictionary<string, object?> { ["name"] = "octocat", ["email"] = "octocat@example.com" },
        ["commits"] = Array.Empty<object>(),
    });

    public static byte[] GitLabPush(string path, string @ref, string after) => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>
    {
        ["object_kind"] = @ref.StartsWith("refs/tags/", StringComparison.Ordinal) ? "tag_push" : "push",
        ["event_name"] = @ref.StartsWith("refs/tags/", StringComparison.Ordinal) ? "tag_push" : "push",
        ["before"] = ZeroSha,
        ["after"] = after,
        ["ref"] = @ref,
        ["checkout_sha"] = after == ZeroSha ? null : after,
        ["user_username"] = "jsmith",
        ["project_id"] = 15,
        ["project"] = new Dictionary<string, object?> { ["id"] = 15, ["path_with_namespace"] = path, ["default_branch"] = "main" },
        ["commits"] = Array.Empty<object>(),
        ["total_commits_count"] = 0,
    });

    public static string Sign(byte[] body, string secret) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    public static ByteArrayContent Json(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        return content;
    }
}
