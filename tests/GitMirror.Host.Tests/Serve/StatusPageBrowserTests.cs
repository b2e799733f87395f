using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.Host.Tests.Serve;

/// <summary>The status page (GET /) as a person sees it: loaded in headless Chromium, its DOM read, a screenshot taken.</summary>
public sealed partial class StatusPageBrowserTests : IDisposable
{
    private const string Secret = "whsec-page-1b2c3d";
    private readonly HttpMirrorWorld _http = new();
    private readonly TempDir _profile = new("gitmirror-chromium");

    public void Dispose()
    {
        _http.Dispose();
        _profile.Dispose();
    }

    [SkippableFact]
    public void Every_pair_and_the_exact_repair_command_of_a_diverged_ref_are_on_the_rendered_page()
    {
        var chromium = Chromium();
        var world = _http.World;
        var (alphaHub, _) = world.AddPair("acme/alpha", "acme/alpha", "acme/alpha");
        alphaHub.Commit("main");
        var (betaHub, betaLab) = world.AddPair("acme/beta", "acme/beta", "acme/beta");
        betaHub.Commit("main");
        Git.Run(betaHub.BarePath, "push", "--quiet", betaLab.BarePath, "main");
        betaHub.Commit("main");
        betaLab.Commit("main"); // the same branch moved differently on both sides
        world.AddPair("acme/it's-gone", "acme/gone", "acme/gone");
        Directory.Delete(world.GitHubRepo("acme/gone"), recursive: true); // a pair that fails
        using var serve = ServeProcess.Start(world.Root, Secret, "-Path", world.ConfigPath, "-Listen", "127.0.0.1:0", "-PollIntervalSec", "300");
        // The poll at start runs every pair once.
        Assert.True(ServeProcess.Eventually(() => serve.GetAsync("/status").Result.Content.ReadAsStringAsync().Result.Split("\"LastRun\":\"").Length == 4,
            TimeSpan.FromSeconds(60)), serve.Output);

        var dom = Run(chromium, "--dump-dom", new Uri(serve.BaseUrl, "/").ToString());
        var names = PairName().Matches(dom).Select(m => WebUtility.HtmlDecode(m.Groups[1].Value)).ToList();
        Assert.Equal(["acme/alpha", "acme/beta", "acme/it's-gone"], names.Order());
        var repair = RepairCommand().Matches(dom).Select(m => WebUtility.HtmlDecode(m.Groups[1].Value)).ToList();
        Assert.Equal([
            $"Repair-MirrorDivergence -Path '{world.ConfigPath}' -Name 'acme/beta' -Ref 'refs/heads/main' -Prefer GitHub",
            $"Repair-MirrorDivergence -Path '{world.ConfigPath}' -Name 'acme/beta' -Ref 'refs/heads/main' -Prefer GitLab"], repair);
        Assert.Contains("2 need attention", dom);

        var screenshot = Path.Combine(Path.GetTempPath(), "gitmirror-status-page.png");
        File.Delete(screenshot);
        Run(chromium, $"--screenshot={screenshot}", "--window-size=1280,720", new Uri(serve.BaseUrl, "/").ToString());
        Assert.True(new FileInfo(screenshot).Length > 10_000, "the screenshot is missing or blank");
        Assert.Equal(0, serve.Terminate(TimeSpan.FromSeconds(15)));
    }

    private string Run(string chromium, params string[] args)
    {
        var psi = new ProcessStartInfo(chromium)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars", $"--user-data-dir={_profile.Path}" }) psi.ArgumentList.Add(arg);
        foreach (var arg in args) psi.ArgumentList.Add(arg);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("chromium did not finish within 60 s: " + stderr.Result);
        }
        Assert.True(process.ExitCode == 0, $"chromium exited {process.ExitCode}: {stderr.Result}");
        return stdout.Result;
    }

    /// <summary>Debian's chromium, or skip (fail under CI=true: .ci/install-tools installs it).</summary>
    private static string Chromium()
    {
        var found = new[] { "chromium", "chromium-browser", "google-chrome" }
            .SelectMany(name => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Select(dir => Path.Combine(dir, name)))
            .FirstOrDefault(File.Exists);
        if (found is not null) return found;
        const string reason = "chromium is not installed (apt-get install chromium; .ci/install-tools does)";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)) throw new InvalidOperationException(reason + " (CI=true: a missing tool is a failure)");
        Skip.If(true, reason);
        return "";
    }

    [GeneratedRegex("<td class=\"name\">([^<]*)</td>")]
    private static partial Regex PairName();

    [GeneratedRegex("<code class=\"repair\">([^<]*)</code>")]
    private static partial Regex RepairCommand();
}
