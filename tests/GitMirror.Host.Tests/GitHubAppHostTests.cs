using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GitMirror.Host.Tests.Serve;
using GitMirror.Testing;
using GitMirror.Testing.Fakes;
using Xunit;

namespace GitMirror.Host.Tests;

/// <summary>
/// The `gitmirror` host authenticating GitHub as a GitHub App: a sync whose every git child is
/// recorded (GITMIRROR_GIT wrapper) so no token or key ever sits in a process's arguments,
/// Get-MirrorCredential's view, and the service's /, /metrics and /status with the credentials.
/// </summary>
public sealed class GitHubAppHostTests : IAsyncLifetime
{
    private const long AppId = 737373;
    private const string Secret = "whsec-CANARY-credentials";
    private readonly HttpMirrorWorld _http = new();
    private readonly RSA _key = RSA.Create(2048);
    private readonly TempDir _api = new("host-app-api");
    private readonly string _keyEnv = "GM_TEST_HOST_KEY_" + Guid.NewGuid().ToString("N");
    private FakeGitHubApi _github = null!;
    private FakeGitLabApi _gitlab = null!;

    private MirrorWorld World => _http.World;

    public async Task InitializeAsync()
    {
        _github = await FakeGitHubApi.StartAsync(_api.Combine("gh"));
        _gitlab = await FakeGitLabApi.StartAsync(_api.Combine("gl"));
        _github.AddApp(AppId, "acme-mirror", _key);
        _github.InstallApp(AppId, "org");
        _github.GuardGit(_http.Server);
        _gitlab.AddUser("gl-bot", _http.GitLabToken, "api", "write_repository");
        _gitlab.SetTokenExpiry(_http.GitLabToken, DateOnly.FromDateTime(DateTime.UtcNow.AddDays(40)));
        lock (_http.Server.AcceptedTokens) _http.Server.AcceptedTokens.Remove(_http.GitHubToken);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _github.DisposeAsync();
        await _gitlab.DisposeAsync();
        _api.Dispose();
        _key.Dispose();
    }

    private void WriteAppConfig()
    {
        var yaml = File.ReadAllText(World.ConfigPath)
            .Replace($"  tokenEnv: {World.GitHubTokenEnv}\n", $"  api: {_github.ApiUrl}\n  app:\n    id: {AppId}\n    privateKeyEnv: {_keyEnv}\n", StringComparison.Ordinal)
            .Replace($"  tokenEnv: {World.GitLabTokenEnv}\n", $"  api: {_gitlab.ApiUrl}\n  tokenEnv: {World.GitLabTokenEnv}\n", StringComparison.Ordinal);
        File.WriteAllText(World.ConfigPath, yaml);
    }

    /// <summary>The host with the App's key in its environment, no GitHub token, and git run through a wrapper that records its arguments.</summary>
    private ProcessStartInfo HostStart(string argumentsLog, params string[] args)
    {
        var wrapper = Path.Combine(World.Root, "git-wrapper.sh");
        File.WriteAllText(wrapper, "#!/bin/sh\nprintf '%s\\n' \"$*\" >> \"$GM_ARGS_LOG\"\nexec git \"$@\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = World.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        psi.ArgumentList.Add(GitMirrorHost.HostDll);
        foreach (var arg in args) psi.ArgumentList.Add(arg);
        psi.Environment.Remove("GITMIRROR_CONFIG");
        psi.Environment.Remove("GITMIRROR_MODULE_PATH");
        psi.Environment.Remove(World.GitHubTokenEnv);
        psi.Environment[_keyEnv] = _key.ExportRSAPrivateKeyPem();
        psi.Environment["GITMIRROR_GIT"] = wrapper;
        psi.Environment["GM_ARGS_LOG"] = argumentsLog;
        return psi;
    }

    private HostResult RunHost(string argumentsLog, params string[] args)
    {
        using var process = Process.Start(HostStart(argumentsLog, args))!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return new HostResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    [UnixFact]
    public void A_sync_as_an_App_keeps_tokens_and_key_out_of_every_git_childs_arguments_and_everything_written()
    {
        var (github, gitlab) = World.AddPair("app");
        github.Commits(2);
        gitlab.Commit("feature");
        WriteAppConfig();
        var argumentsLog = Path.Combine(World.Root, "git-args.log");
        var jsonLog = Path.Combine(World.Root, "sync.jsonl");

        var sync = RunHost(argumentsLog, "Sync-MirrorPair", "-All", "-Path", World.ConfigPath, "-LogPath", jsonLog);

        Assert.True(sync.ExitCode == 0, sync.ToString());
        Assert.Equal(RepoBuilder.Refs(github.BarePath).OrderBy(r => r.Key), RepoBuilder.Refs(gitlab.BarePath).OrderBy(r => r.Key));
        Assert.True(_github.InstallationTokensIssued >= 1);
        var arguments = File.ReadAllText(argumentsLog);
        Assert.Contains("push", arguments);

        var credentials = RunHost(argumentsLog, "Get-MirrorCredential", "-Path", World.ConfigPath);

        Assert.True(credentials.ExitCode == 0, credentials.ToString());
        Assert.Matches(@"GitHub\s+GitHubApp\s+acme-mirror\[bot\]\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+0\s+True", credentials.Stdout);
        Assert.Matches(@"GitLab\s+PersonalAccessToken\s+gl-bot\s+\d{4}-\d\d-\d\d 00:00\s+(39|40)\s+True", credentials.Stdout);

        var written = new StringBuilder(arguments).Append(sync.Stdout).Append(sync.Stderr).Append(credentials.Stdout).Append(credentials.Stderr)
            .Append(File.ReadAllText(jsonLog));
        foreach (var file in Directory.EnumerateFiles(World.CachePath, "*", SearchOption.AllDirectories)) written.Append(Encoding.Latin1.GetString(File.ReadAllBytes(file)));
        var text = written.ToString();
        Assert.NotEmpty(_github.InstallationTokens);
        foreach (var token in _github.InstallationTokens.Append(_http.GitLabToken)) Assert.DoesNotContain(token, text);
        Assert.DoesNotContain("ghs_CANARY", text);
        foreach (var line in _key.ExportRSAPrivateKeyPem().Split('\n').Where(l => l.Length > 20 && !l.StartsWith("-----", StringComparison.Ordinal)))
        {
            Assert.DoesNotContain(line, text);
        }
        Assert.Contains("\"kind\": \"GitHubApp\"", File.ReadAllText(Path.Combine(World.CachePath, "status", "credentials.json")));
    }

    [UnixFact]
    public async Task The_service_shows_the_credentials_on_its_page_and_in_metrics_and_keeps_status_as_it_was()
    {
        World.AddPair("app").GitHub.Commits(1);
        WriteAppConfig();
        var argumentsLog = Path.Combine(World.Root, "git-args.log");
        var psi = HostStart(argumentsLog, "serve", "-Path", World.ConfigPath, "-Listen", "127.0.0.1:0", "-PollIntervalSec", "0");
        psi.Environment["GITMIRROR_WEBHOOK_SECRET"] = Secret;
        using var process = Process.Start(psi)!;
        process.StandardInput.Close();
        var output = new StringBuilder();
        var url = new TaskCompletionSource<Uri>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (output) output.AppendLine(e.Data);
            var match = System.Text.RegularExpressions.Regex.Match(e.Data, @"Listening on (?<url>http://\S+)");
            if (match.Success) url.TrySetResult(new Uri(match.Groups["url"].Value.TrimEnd('/') + "/"));
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var baseUrl = await url.Task.WaitAsync(TimeSpan.FromSeconds(90));
            string metrics = "";
            Assert.True(ServeProcess.Eventually(() =>
            {
                metrics = ServeProcess.Http.GetStringAsync(new Uri(baseUrl, "/metrics")).GetAwaiter().GetResult();
                return metrics.Contains("gitmirror_token_valid{forge=\"gitlab\"}", StringComparison.Ordinal);
            }, TimeSpan.FromSeconds(30)), output.ToString());

            Assert.Matches(@"gitmirror_token_expiry_timestamp_seconds\{forge=""github""\} \d{10}\n", metrics);
            Assert.Matches(@"gitmirror_token_expiry_timestamp_seconds\{forge=""gitlab""\} \d{10}\n", metrics);
            Assert.Contains("gitmirror_token_valid{forge=\"github\"} 1\n", metrics);

            var page = await ServeProcess.Http.GetStringAsync(new Uri(baseUrl, "/"));
            Assert.Contains("id=\"credentials\"", page);
            Assert.Contains("acme-mirror[bot]", page);
            Assert.Contains("gl-bot", page);

            // /status keeps exactly MirrorPairStatus's keys.
            using var status = JsonDocument.Parse(await ServeProcess.Http.GetStringAsync(new Uri(baseUrl, "/status")));
            var keys = status.RootElement.EnumerateArray().Single().EnumerateObject().Select(p => p.Name).ToList();
            Assert.Equal(["PairName", "Status", "Healthy", "LastRun", "LastSuccess", "ConsecutiveFailures", "DivergedRefs", "LastError", "Organization", "LastNotificationError"], keys);

            var all = metrics + page + output;
            foreach (var token in _github.InstallationTokens.Append(_http.GitLabToken)) Assert.DoesNotContain(token, all);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }
}
