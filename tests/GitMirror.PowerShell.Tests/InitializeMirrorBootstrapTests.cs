using GitMirror.Testing;
using GitMirror.Testing.Fakes;
using Xunit;

namespace GitMirror.PowerShell.Tests;

public sealed class InitializeMirrorBootstrapTests
{
    private const string GitHubToken = "ghp_canaryPS0123456789abcdef";
    private const string GitLabToken = "glpat-canaryPS-0123456789";

    [Fact]
    public async Task Bootstraps_every_pair_of_the_config_against_the_forges()
    {
        using var root = new TempDir("ps-bootstrap");
        // The fakes create the repositories the git server serves: one project root for both.
        await using var github = await FakeGitHubApi.StartAsync(root.Combine("forges", "github"));
        await using var gitlab = await FakeGitLabApi.StartAsync(root.Combine("forges", "gitlab"));
        await using var git = GitHttpServer.Start(root.Combine("forges"));
        git.AcceptedTokens.Add(GitHubToken);
        git.AcceptedTokens.Add(GitLabToken);
        github.AddUser("gh-bot", GitHubToken, "repo", "workflow");
        github.AddOrganization("myorg");
        gitlab.AddUser("gl-bot", GitLabToken, "api", "write_repository");
        gitlab.AddGroup("team/sub");
        var config = root.Combine("repos.yaml");
        File.WriteAllText(config, $"""
            github:
              url: {git.BaseUrl}/github
              api: {github.ApiUrl}
            gitlab:
              url: {git.BaseUrl}/gitlab
              api: {gitlab.ApiUrl}
            cache: {root.Combine("cache")}
            repos:
              - github: myorg/repo1
                gitlab: team/repo1
              - github: myorg/repo2
                gitlab: team/sub/repo2
              - github: myorg/broken
                gitlab: nogroup/broken
            """);
        using var ps = new PowerShellSession(root.Path, new Dictionary<string, string>
        {
            ["GITHUB_TOKEN"] = GitHubToken,
            ["GITLAB_TOKEN"] = GitLabToken,
            ["MIRROR_BOT_USER_GITHUB"] = "gh-bot",
            ["MIRROR_BOT_USER_GITLAB"] = "gl-bot",
        });
        try
        {
            var whatIf = ps.Run("Initialize-MirrorBootstrap -All -Path $args[0] -WhatIf", config);
            Assert.Empty(github.Writes);
            Assert.Empty(gitlab.Writes);
            Assert.Equal(3, whatIf.Output.Count);
            Assert.DoesNotContain(git.Requests, r => r.Service == "git-receive-pack");

            var run = ps.Run("Initialize-MirrorBootstrap -All -Path $args[0] -ProtectVariables", config);

            Assert.Null(run.Terminating);
            // This project references no GitMirror assembly (design.md §7): read the objects as PowerShell does.
            // Pairs run in parallel (-ThrottleLimit): results arrive as pairs finish.
            var succeeded = run.Output.ToDictionary(o => (string)o.Properties["PairName"].Value, o => (bool)o.Properties["Succeeded"].Value);
            Assert.Equal(new Dictionary<string, bool> { ["myorg/repo1"] = true, ["myorg/repo2"] = true, ["myorg/broken"] = false }, succeeded);
            Assert.Equal(["MirrorOwnerNotFound"], run.ErrorIds);
            // Each CI holds a deploy key for its twin, never a bot token.
            var secret = github.Repository("myorg/repo2")!.Secrets["GITLAB_DEPLOY_KEY"];
            Assert.False(github.Repository("myorg/repo2")!.Secrets.ContainsKey("GITLAB_TOKEN"));
            Assert.True(gitlab.Project("team/sub/repo2")!.Variable("GITHUB_DEPLOY_KEY")!.Protected);
            Assert.Null(gitlab.Project("team/sub/repo2")!.Variable("GITHUB_TOKEN"));
            var keyOnGitLab = Assert.Single(gitlab.Project("team/sub/repo2")!.DeployKeys);
            Assert.True(keyOnGitLab.CanPush);
            // The CiFiles step: one commit holding the CI files, the same on both sides.
            var githubMain = Git.Run(github.Repository("myorg/repo2")!.BarePath, "rev-parse", "main");
            Assert.Equal(githubMain, Git.Run(gitlab.Project("team/sub/repo2")!.BarePath, "rev-parse", "main"));
            Assert.Contains(".github/workflows/gitmirror.yml", Git.Run(github.Repository("myorg/repo2")!.BarePath, "ls-tree", "-r", "--name-only", "main"));
            Assert.All(run.AllErrors, e => Assert.DoesNotContain("canary", e.ToString() + e.Exception));
            Assert.All(github.Calls.Concat(gitlab.Calls), c => Assert.DoesNotContain("canary", c.Target));

            // -RotateCredentials: new keys, reported as DeployKey/Secret steps; the old key is gone.
            var rotate = ps.Run("""
                Initialize-MirrorBootstrap -Name myorg/repo2 -Path $args[0] -ProtectVariables -RotateCredentials -Verbose |
                    ForEach-Object Steps | Where-Object Step -in 'DeployKey', 'Secret' | ForEach-Object { "$($_.Step) $($_.Side) $($_.Action)" }
                """, config);
            Assert.Null(rotate.Terminating);
            Assert.Equal(["DeployKey GitLab Updated", "Secret GitHub Updated", "DeployKey GitHub Updated", "Secret GitLab Updated"],
                rotate.Output.Select(o => o.BaseObject.ToString()));
            var rotated = Assert.Single(gitlab.Project("team/sub/repo2")!.DeployKeys);
            Assert.NotEqual(keyOnGitLab.Key, rotated.Key);
            Assert.NotEqual(secret, github.Repository("myorg/repo2")!.Secrets["GITLAB_DEPLOY_KEY"]);
            var keys = new[] { secret, github.Repository("myorg/repo2")!.Secrets["GITLAB_DEPLOY_KEY"], gitlab.Project("team/sub/repo2")!.Variable("GITHUB_DEPLOY_KEY")!.Value };
            Assert.All(rotate.Verbose.Concat(rotate.Warnings).Concat(run.Verbose).Concat(run.Warnings).Concat(run.AllErrors.Select(e => e.ToString())),
                text => Assert.All(keys, key => Assert.DoesNotContain(key, text)));
        }
        finally
        {
            // PowerShell's $env: is the process environment: leave nothing behind for other tests.
            ps.Run("Remove-Item env:GITHUB_TOKEN, env:GITLAB_TOKEN, env:MIRROR_BOT_USER_GITHUB, env:MIRROR_BOT_USER_GITLAB");
        }
    }

    [Fact]
    public void Without_a_bot_user_the_invocation_is_refused()
    {
        using var ps = new PowerShellSession();
        ps.Run("Remove-Item env:MIRROR_BOT_USER_GITHUB -ErrorAction Ignore");

        var run = ps.Run("Initialize-MirrorBootstrap -All -Path ./nowhere.yaml -GitLabBotUser gl-bot");

        // Statement-terminating: the script goes on, so the record lands in the error stream.
        Assert.Equal(["MirrorBotUserMissing"], run.ErrorIds);
        Assert.Empty(run.Output);
    }
}
