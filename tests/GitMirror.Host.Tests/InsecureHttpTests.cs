using System.Diagnostics;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.Host.Tests;

/// <summary>
/// Issue 12, item 3, end to end: a host name that resolves to 127.0.0.1 through /etc/hosts but is
/// not a loopback name gets no request (and so no token) over plain http unless the config opts in.
/// </summary>
/// <remarks>
/// The machine's /etc/hosts is never touched: the host runs in its own mount namespace
/// (<c>unshare --mount</c>, as root or with a user namespace) where a copy with one more line is
/// bind-mounted over /etc/hosts; the namespace, and the mount with it, ends with the process.
/// </remarks>
public sealed class InsecureHttpTests : IAsyncLifetime
{
    private const string CanaryName = "gm-canary.test";
    private readonly TempDir _dir = new("insecure-http");
    private readonly string _tokenEnv = "GM_CANARY_GH_" + Guid.NewGuid().ToString("N");
    private readonly string _token = "ghp_CANARYcleartext" + Guid.NewGuid().ToString("N");
    private CanaryServer _canary = null!;

    public async Task InitializeAsync()
    {
        _canary = await CanaryServer.StartAsync();
        Environment.SetEnvironmentVariable(_tokenEnv, _token);
    }

    public async Task DisposeAsync()
    {
        Environment.SetEnvironmentVariable(_tokenEnv, null);
        await _canary.DisposeAsync();
        _dir.Dispose();
    }

    [SkippableFact]
    public void Plain_http_to_a_name_that_resolves_to_loopback_is_refused_before_any_request_unless_opted_in()
    {
        var wrapper = PrivateHostsFile();

        var refused = GitMirrorHost.RunWrapped(_dir.Path, wrapper, "Sync-MirrorPair", "-All", "-Path", WriteConfig(optIn: false));

        Assert.True(refused.ExitCode == 3, refused.ToString());
        Assert.Contains("clear text", refused.Stderr);
        Assert.Empty(_canary.Requests);

        var optedIn = GitMirrorHost.RunWrapped(_dir.Path, wrapper, "Sync-MirrorPair", "-All", "-Path", WriteConfig(optIn: true));

        // The same name reaches the canary once allowed: the refusal above is what kept the token home.
        Assert.Contains("allowInsecureHttp", optedIn.Stdout + optedIn.Stderr);
        Assert.Contains("clear text", optedIn.Stdout + optedIn.Stderr);
        Assert.True(_canary.SawToken(_token), optedIn.ToString());
    }

    private string WriteConfig(bool optIn)
    {
        Directory.CreateDirectory(_dir.Combine("gitlab"));
        var path = _dir.Combine(optIn ? "opted-in.yaml" : "repos.yaml");
        File.WriteAllText(path, $"""
            github:
              url: http://{CanaryName}:{_canary.Port}
              tokenEnv: {_tokenEnv}
            {(optIn ? "  allowInsecureHttp: true" : "")}
            gitlab:
              url: ./gitlab
            cache: ./cache
            repos:
              - github: acme/app
                gitlab: acme/app
            """);
        return path;
    }

    /// <summary>The command prefix that runs a process with <see cref="CanaryName"/> → 127.0.0.1 in its own /etc/hosts; skips when unavailable.</summary>
    private string[] PrivateHostsFile()
    {
        Skip.If(!OperatingSystem.IsLinux(), "needs Linux mount namespaces");
        var hosts = _dir.Combine("hosts");
        File.WriteAllText(hosts, File.ReadAllText("/etc/hosts") + $"\n127.0.0.1 {CanaryName}\n");
        string[] script = ["sh", "-c", "mount --bind \"$0\" /etc/hosts && exec \"$@\"", hosts];
        string[][] candidates = [["unshare", "--mount", .. script], ["unshare", "--map-root-user", "--mount", .. script]];
        foreach (var candidate in candidates)
        {
            if (Resolves(candidate)) return candidate;
        }
        var reason = "cannot give a process its own /etc/hosts (unshare --mount needs root or user namespaces)";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(reason + " (CI=true: a missing capability is a failure)");
        }
        Skip.If(true, reason);
        return [];
    }

    private static bool Resolves(string[] wrapper)
    {
        try
        {
            var psi = new ProcessStartInfo(wrapper[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var part in wrapper[1..]) psi.ArgumentList.Add(part);
            psi.ArgumentList.Add("getent");
            psi.ArgumentList.Add("hosts");
            psi.ArgumentList.Add(CanaryName);
            using var process = Process.Start(psi)!;
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 && output.StartsWith("127.0.0.1", StringComparison.Ordinal);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
