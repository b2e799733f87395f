using System.Diagnostics;
using GitMirror.Core;
using GitMirror.Core.Config;
using GitMirror.Core.Organizations;
using GitMirror.Testing;
using GitMirror.Testing.Fakes;

namespace GitMirror.Bench;

/// <summary>
/// `orgs [REPOS]`: an organisation of REPOS repositories per side (default 2,000) behind the GitHub
/// and GitLab API fakes (real Kestrel HTTP on 127.0.0.1). Expands it the first time, again within
/// organizationRefreshMinutes, after it (unchanged: 304s), and after a repository was created;
/// prints the API requests per side and the time of each.
/// </summary>
internal static class OrgsBench
{
    private const string GitHubToken = "bench-gh-token-0123456789";
    private const string GitLabToken = "bench-gl-token-0123456789";

    public static async Task<int> RunAsync(int repos)
    {
        using var root = new TempDir("orgs-bench");
        await using var github = await FakeGitHubApi.StartAsync(root.Combine("github"));
        await using var gitlab = await FakeGitLabApi.StartAsync(root.Combine("gitlab"));
        github.AddUser("gh-bot", GitHubToken, "repo");
        github.AddOrganization("acme");
        gitlab.AddUser("gl-bot", GitLabToken, "read_api");
        gitlab.AddGroup("acme-mirror");
        for (var i = 0; i < repos; i++)
        {
            github.AddListedRepository($"acme/service-{i:D5}");
            gitlab.AddListedProject($"acme-mirror/service-{i:D5}");
        }
        var path = root.Combine("repos.yaml");
        File.WriteAllText(path, $"""
            github:
              api: {github.ApiUrl}
            gitlab:
              api: {gitlab.ApiUrl}
            cache: {root.Combine("cache")}
            organizationRefreshMinutes: 10
            organizations:
              - github: acme
                gitlab: acme-mirror
            """);
        var config = ConfigLoader.Load(path);
        var clock = new BenchClock(DateTimeOffset.UtcNow);
        var options = new OrganizationExpanderOptions
        {
            Time = clock,
            Environment = name => name switch { "GITHUB_TOKEN" => GitHubToken, "GITLAB_TOKEN" => GitLabToken, _ => null },
        };
        var maxPerSide = (repos + 99) / 100;

        Console.WriteLine($"Organisation of {repos:N0} repositories per side; organizationRefreshMinutes: 10; API fakes on 127.0.0.1");
        Console.WriteLine($"{"expansion",-44} {"pairs",6} {"GitHub req",10} {"GitLab req",10} {"304s",5} {"time",9}");
        var ok = true;
        async Task<(int GitHub, int GitLab)> Measure(string what, Func<(int GitHub, int GitLab), bool> target)
        {
            var (gh, gl) = (github.Calls.Count, gitlab.Calls.Count);
            var clockStart = Stopwatch.StartNew();
            var expansion = await new OrganizationExpander(NullMirrorLog.Instance, options).ExpandAsync(config, CancellationToken.None);
            var elapsed = clockStart.Elapsed;
            if (expansion.Failures.Count > 0) throw new InvalidOperationException(expansion.Failures[0].Message);
            var counts = (github.Calls.Count - gh, gitlab.Calls.Count - gl);
            var notModified = github.Calls.Skip(gh).Concat(gitlab.Calls.Skip(gl)).Count(c => c.Status == 304);
            var met = target(counts);
            ok &= met;
            Console.WriteLine($"{what,-44} {expansion.Config.Pairs.Count,6} {counts.Item1,10} {counts.Item2,10} {notModified,5} {elapsed.TotalMilliseconds,7:0} ms {(met ? "" : "  TARGET MISSED")}");
            return counts;
        }

        await Measure("first (empty cache)", c => c.GitHub <= maxPerSide && c.GitLab <= maxPerSide);
        clock.Advance(TimeSpan.FromMinutes(5));
        await Measure("repeated within the window (5 min later)", c => c == (0, 0));
        clock.Advance(TimeSpan.FromMinutes(6));
        await Measure("after the window, nothing changed (11 min)", c => c.GitHub <= 1 && c.GitLab <= 1);
        github.AddListedRepository("acme/brand-new");
        clock.Advance(TimeSpan.FromMinutes(11));
        await Measure("after the window, one repository created", c => c.GitHub <= maxPerSide + 1 && c.GitLab <= 1);
        Console.WriteLine($"Targets: first <= {maxPerSide} per side; within the window 0; after it <= 1 conditional request per listing: {(ok ? "met" : "MISSED")}");
        return ok ? 0 : 1;
    }

    private sealed class BenchClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
