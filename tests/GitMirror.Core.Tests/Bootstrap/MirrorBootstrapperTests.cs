using GitMirror.Core.Bootstrap;
using GitMirror.Testing;
using GitMirror.Testing.Fakes;
using Xunit;
using static GitMirror.MirrorBootstrapAction;
using static GitMirror.MirrorBootstrapSide;
using static GitMirror.MirrorBootstrapStepKind;

namespace GitMirror.Core.Tests.Bootstrap;

public sealed class MirrorBootstrapperTests : IAsyncLifetime
{
    // Canaries: neither may ever appear in a URL, a log line, an error or a step's detail.
    private const string GitHubToken = "ghp_canaryGH0123456789abcdef";
    private const string GitLabToken = "glpat-canaryGL-0123456789";

    private readonly TempDir _root = new("bootstrap");
    private readonly RecordingLog _log = new();
    private readonly FakeCiFilesInstaller _ciFiles = new();
    private readonly Dictionary<string, string> _env = new()
    {
        ["GITHUB_TOKEN"] = GitHubToken,
        ["GITLAB_TOKEN"] = GitLabToken,
    };
    private FakeGitHubApi _github = null!;
    private FakeGitLabApi _gitlab = null!;

    public async Task InitializeAsync()
    {
        _github = await FakeGitHubApi.StartAsync(_root.Combine("github"));
        _gitlab = await FakeGitLabApi.StartAsync(_root.Combine("gitlab"));
        _github.AddUser("gh-bot", GitHubToken, "repo", "workflow");
        _github.AddOrganization("myorg");
        _gitlab.AddUser("gl-bot", GitLabToken, "api", "write_repository");
        _gitlab.AddGroup("team/sub");
    }

    public async Task DisposeAsync()
    {
        await _github.DisposeAsync();
        await _gitlab.DisposeAsync();
        _root.Dispose();
    }

    private MirrorPair Pair(string github, string gitlab) => new()
    {
        Name = github,
        GitHub = github,
        GitLab = gitlab,
        GitHubUrl = $"https://github.example/{github}.git",
        GitLabUrl = $"https://gitlab.example/{gitlab}.git",
        ConfigPath = _root.Combine("repos.yaml"),
        CachePath = _root.Combine("cache"),
        GitHubApi = _github.ApiUrl,
        GitLabApi = _gitlab.ApiUrl,
    };

    private MirrorBootstrapper Bootstrapper(string gitHubBot = "gh-bot", bool protect = false,
        MirrorRepositoryVisibility visibility = MirrorRepositoryVisibility.Private, bool rotate = false) =>
        new(new MirrorBootstrapOptions { GitHubBotUser = gitHubBot, GitLabBotUser = "gl-bot", ProtectVariables = protect, Visibility = visibility, RotateCredentials = rotate },
            _ciFiles, _log, name => _env.GetValueOrDefault(name));

    private static async Task<List<MirrorBootstrapOutcome>> RunAll(MirrorBootstrapper bootstrapper, IEnumerable<MirrorPair> pairs,
        Func<string, string, bool>? shouldProcess = null)
    {
        var outcomes = new List<MirrorBootstrapOutcome>();
        foreach (var pair in pairs) outcomes.Add(await bootstrapper.BootstrapAsync(pair, shouldProcess ?? ((_, _) => true), default));
        return outcomes;
    }

    private static MirrorBootstrapAction ActionOf(MirrorBootstrapOutcome o, MirrorBootstrapStepKind step, MirrorBootstrapSide side) =>
        o.Result.Steps.Single(s => s.Step == step && s.Side == side).Action;

    /// <summary>Two fresh pairs (organization + user account, group + subgroup) and one with history and its own .gitlab-ci.yml.</summary>
    private List<MirrorPair> ThreePairs()
    {
        var legacyGitHub = _github.AddRepository("myorg/legacy");
        var legacyGitLab = _gitlab.AddProject("team/legacy");
        var history = new RepoBuilder(legacyGitHub.BarePath);
        history.Commits(3);
        history.Commit(file: ".gitlab-ci.yml");
        Git.Run(legacyGitHub.BarePath, "push", "--quiet", legacyGitLab.BarePath, "refs/heads/main:refs/heads/main");
        return [Pair("myorg/repo1", "team/repo1"), Pair("gh-bot/own", "team/sub/own"), Pair("myorg/legacy", "team/legacy")];
    }

    /// <summary>
    /// The pair's CI credentials as the fakes hold them: GitHub's secret must open the one deploy key
    /// on the GitLab project, GitLab's variable the one on the GitHub repository, both able to push.
    /// </summary>
    private (FakeDeployKey OnGitHub, FakeDeployKey OnGitLab) AssertKeysMatch(MirrorPair pair)
    {
        var repo = _github.Repository(pair.GitHub)!;
        var project = _gitlab.Project(pair.GitLab)!;
        var onGitLab = Assert.Single(project.DeployKeys);
        var onGitHub = Assert.Single(repo.DeployKeys);
        Assert.True(onGitLab.CanPush);
        Assert.True(onGitHub.CanPush);
        Assert.StartsWith($"gitmirror CI push from GitHub {pair.GitHub} (", onGitLab.Title);
        Assert.StartsWith($"gitmirror CI push from GitLab {pair.GitLab} (", onGitHub.Title);
        Assert.Equal(onGitLab.Key, DeployKeyPair.PublicKeyFromSecret(repo.Secrets["GITLAB_DEPLOY_KEY"]));
        var variable = project.Variable("GITHUB_DEPLOY_KEY")!;
        Assert.Equal(onGitHub.Key, DeployKeyPair.PublicKeyFromSecret(variable.Value));
        Assert.True(variable.Hidden && variable.Masked && variable.Raw, variable.ToString());
        // Added with the bots' tokens: both forges attribute the CI's pushes to the bots, whom the loop filter knows.
        Assert.Equal("gl-bot", onGitLab.AddedBy);
        Assert.Equal("gh-bot", onGitHub.AddedBy);
        return (onGitHub, onGitLab);
    }

    /// <summary>No bot token in any CI secret or variable, under its old name or any other.</summary>
    private void AssertNoTokenInCi()
    {
        Assert.All(_github.Repositories, r =>
        {
            Assert.False(r.Secrets.ContainsKey("GITLAB_TOKEN"));
            Assert.DoesNotContain(r.Secrets.Values.Concat(r.Variables.Values), v => v.Contains("canary", StringComparison.OrdinalIgnoreCase));
        });
        Assert.All(_gitlab.Projects, p =>
        {
            Assert.Null(p.Variable("GITHUB_TOKEN"));
            Assert.DoesNotContain(p.Variables, v => v.Value.Contains("canary", StringComparison.OrdinalIgnoreCase));
        });
    }

    [Fact]
    public async Task Creates_what_is_missing_gives_each_CI_a_deploy_key_for_its_twin_and_a_second_run_changes_nothing()
    {
        var pairs = ThreePairs();

        var first = await RunAll(Bootstrapper(), pairs);

        Assert.All(first, o => Assert.True(o.Result.Succeeded, string.Join("\n", o.Result.Steps.Select(s => s.Detail))));
        Assert.Equal([Created, Created, Unchanged], first.Select(o => ActionOf(o, Repository, GitHub)));
        Assert.Equal([Created, Created, Unchanged], first.Select(o => ActionOf(o, Repository, GitLab)));
        Assert.All(first, o => Assert.Equal([Repository, Repository, DeployKey, Secret, DeployKey, Secret, Variables, Variables, MirrorBootstrapStepKind.CiFiles],
            o.Result.Steps.Select(s => s.Step)));
        Assert.All(first, o => Assert.All(o.Result.Steps.Where(s => s.Step is DeployKey or Secret), s => Assert.Equal(Created, s.Action)));
        Assert.Equal("private", _github.Repository("gh-bot/own")!.Visibility);
        Assert.Equal("private", _gitlab.Project("team/sub/own")!.Visibility);
        Assert.True(File.Exists(Path.Combine(_gitlab.Project("team/sub/own")!.BarePath, "HEAD")));
        var keys = new List<(FakeDeployKey, FakeDeployKey)>();
        foreach (var pair in pairs)
        {
            keys.Add(AssertKeysMatch(pair));
            var repo = _github.Repository(pair.GitHub)!;
            Assert.Equal(pair.GitLab, repo.Variables["GITLAB_REPO"]);
            Assert.Equal("https://gitlab.example", repo.Variables["GITLAB_URL"]);
            Assert.Equal($"git@gitlab.example:{pair.GitLab}.git", repo.Variables["GITLAB_SSH_URL"]); // the project's ssh_url_to_repo
            Assert.Equal("gh-bot", repo.Variables["MIRROR_BOT_USER"]);
            var project = _gitlab.Project(pair.GitLab)!;
            Assert.False(project.Variable("GITHUB_DEPLOY_KEY")!.Protected);
            Assert.Equal(new FakeGitLabVariable("GITHUB_REPO", pair.GitHub, false, false, true), project.Variable("GITHUB_REPO"));
            Assert.Equal("https://github.example", project.Variable("GITHUB_URL")!.Value);
            Assert.Equal($"git@github.example:{pair.GitHub}.git", project.Variable("GITHUB_SSH_URL")!.Value);
            Assert.Equal("gl-bot", project.Variable("MIRROR_BOT_USER")!.Value);
        }
        // The fakes' SSH hosts are not github.com or gitlab.com: the operator must pin them, and is told so.
        Assert.Contains(_log.Warnings, w => w.StartsWith("myorg/repo1: GitHub's CI job pushes to gitlab.example,", StringComparison.Ordinal) && w.Contains("MIRROR_SSH_KNOWN_HOSTS"));
        Assert.Contains(_log.Warnings, w => w.StartsWith("myorg/repo1: GitLab's CI job pushes to github.example,", StringComparison.Ordinal));
        _github.Repository("myorg/repo1")!.Variables["MIRROR_SSH_KNOWN_HOSTS"] = "gitlab.example ssh-ed25519 AAAA";
        _log.Warnings.Clear();
        // One key per CI, none shared: each opens one repository.
        Assert.Equal(6, keys.SelectMany(k => new[] { k.Item1.Key, k.Item2.Key }).Distinct().Count());
        AssertNoTokenInCi();
        Assert.Equal(pairs.Select(p => p.Name), _ciFiles.Installed);

        _github.Repository("myorg/repo1")!.Variables["GITLAB_REPO"] = "stale/value";
        var writesBefore = (_github.Writes.Count, _gitlab.Writes.Count);
        var second = await RunAll(Bootstrapper(), pairs);

        Assert.All(second, o =>
        {
            Assert.True(o.Result.Succeeded);
            Assert.All(o.Result.Steps.Where(s => s.Step != Variables || s.Side != GitHub), s => Assert.Equal(Unchanged, s.Action));
            Assert.Contains("-RotateCredentials", o.Result.Steps.First(s => s.Step == DeployKey).Detail);
        });
        Assert.Equal([Updated, Unchanged, Unchanged], second.Select(o => ActionOf(o, Variables, GitHub)));
        Assert.DoesNotContain(_log.Warnings, w => w.StartsWith("myorg/repo1: GitHub's CI", StringComparison.Ordinal));
        Assert.Contains(_log.Warnings, w => w.StartsWith("myorg/legacy: GitHub's CI", StringComparison.Ordinal));
        Assert.Equal("team/repo1", _github.Repository("myorg/repo1")!.Variables["GITLAB_REPO"]);
        Assert.Equal(writesBefore.Item1 + 1, _github.Writes.Count); // the stale variable, nothing else
        Assert.Equal(writesBefore.Item2, _gitlab.Writes.Count);
        Assert.Equal(keys, pairs.Select(AssertKeysMatch));
        Assert.Equal(Git.Run(_github.Repository("myorg/legacy")!.BarePath, "rev-parse", "main"),
            Git.Run(_gitlab.Project("team/legacy")!.BarePath, "rev-parse", "main"));
    }

    [Theory]
    [InlineData("git@github.com:org/app.git", "github.com", true)]
    [InlineData("ssh://git@gitlab.com/team/sub/app.git", "gitlab.com", true)]
    [InlineData("ssh://git@gitlab.example.com:2222/team/app.git", "[gitlab.example.com]:2222", false)]
    [InlineData("ssh://git@ghe.example.com:22/org/app.git", "ghe.example.com", false)]
    [InlineData("git@ghe.example.com:org/app.git", "ghe.example.com", false)]
    public void The_SSH_host_of_a_twin_and_whether_its_keys_are_pinned(string url, string host, bool pinned)
    {
        Assert.Equal(host, MirrorCiVariables.SshHost(url));
        Assert.Equal(pinned, MirrorCiVariables.HasPinnedHostKeys(host));
    }

    [Fact]
    public async Task RotateCredentials_adds_new_keys_sets_the_secrets_to_them_then_deletes_the_old_keys()
    {
        var pair = Pair("myorg/repo1", "team/repo1");
        Assert.True(Assert.Single(await RunAll(Bootstrapper(), [pair])).Result.Succeeded);
        var (oldOnGitHub, oldOnGitLab) = AssertKeysMatch(pair);

        var rotated = Assert.Single(await RunAll(Bootstrapper(rotate: true), [pair]));

        Assert.True(rotated.Result.Succeeded, string.Join("\n", rotated.Result.Steps.Select(s => s.Detail)));
        Assert.All(rotated.Result.Steps.Where(s => s.Step is DeployKey or Secret), s => Assert.Equal(Updated, s.Action));
        var deployKeyOnGitLab = rotated.Result.Steps.Single(s => s.Step == DeployKey && s.Side == GitLab).Detail!;
        Assert.Contains($"old key {oldOnGitLab.Id} deleted (rotation asked)", deployKeyOnGitLab);
        var (newOnGitHub, newOnGitLab) = AssertKeysMatch(pair); // exactly one key each, and the secrets open them
        Assert.NotEqual(oldOnGitHub.Key, newOnGitHub.Key);
        Assert.NotEqual(oldOnGitLab.Key, newOnGitLab.Key);
        Assert.True(_gitlab.Project("team/repo1")!.Variable("GITHUB_DEPLOY_KEY")!.Hidden);
        // The new key was added before the old one went: CI could push throughout.
        var gitLabKeyCalls = _gitlab.Writes.Where(c => c.Target.Contains("/deploy_keys", StringComparison.Ordinal)).Select(c => c.Method).ToList();
        Assert.Equal(["POST", "POST", "DELETE"], gitLabKeyCalls);

        // Idempotent: the next run without the switch keeps the new keys.
        var again = Assert.Single(await RunAll(Bootstrapper(), [pair]));
        Assert.All(again.Result.Steps.Where(s => s.Step is DeployKey or Secret), s => Assert.Equal(Unchanged, s.Action));
        Assert.Equal((newOnGitHub, newOnGitLab), AssertKeysMatch(pair));
    }

    [Fact]
    public async Task RotateCredentials_under_WhatIf_describes_the_rotation_and_changes_nothing()
    {
        var pair = Pair("myorg/repo1", "team/repo1");
        await RunAll(Bootstrapper(), [pair]);
        var before = AssertKeysMatch(pair);
        var writes = (_github.Writes.Count, _gitlab.Writes.Count);
        var asked = new List<(string Target, string Action)>();

        var outcome = Assert.Single(await RunAll(Bootstrapper(rotate: true), [pair], (t, a) => { asked.Add((t, a)); return false; }));

        Assert.Equal(writes, (_github.Writes.Count, _gitlab.Writes.Count));
        Assert.Equal(before, AssertKeysMatch(pair));
        Assert.All(outcome.Result.Steps.Where(s => s.Step is DeployKey or Secret), s => Assert.Equal(Skipped, s.Action));
        Assert.Contains(asked, a => a.Target == "GitLab team/repo1" && a.Action.Contains($"then delete the old key {before.OnGitLab.Id} (rotation asked)"));
        Assert.Contains(asked, a => a.Target == "GitHub myorg/repo1" && a.Action.Contains("set GITLAB_DEPLOY_KEY"));
    }

    [Fact]
    public async Task Migration_the_bot_tokens_an_older_bootstrap_stored_in_CI_are_deleted()
    {
        var repo = _github.AddRepository("myorg/repo1");
        var project = _gitlab.AddProject("team/repo1");
        repo.Secrets["GITLAB_TOKEN"] = GitLabToken;
        project.Variables.Add(new FakeGitLabVariable("GITHUB_TOKEN", GitHubToken, Masked: true, Protected: false, Raw: true, Hidden: true));
        // A visible key variable (set by hand) is replaced by a hidden one.
        project.Variables.Add(new FakeGitLabVariable("GITHUB_DEPLOY_KEY", "c2V0IGJ5IGhhbmQ=", Masked: true, Protected: false, Raw: true));
        var pair = Pair("myorg/repo1", "team/repo1");

        var outcome = Assert.Single(await RunAll(Bootstrapper(), [pair]));

        Assert.True(outcome.Result.Succeeded, string.Join("\n", outcome.Result.Steps.Select(s => s.Detail)));
        Assert.Contains("GITLAB_TOKEN (the bot's token, from an older bootstrap) deleted", outcome.Result.Steps.Single(s => s.Step == Secret && s.Side == GitHub).Detail);
        Assert.Contains("GITHUB_TOKEN (the bot's token, from an older bootstrap) deleted", outcome.Result.Steps.Single(s => s.Step == Secret && s.Side == GitLab).Detail);
        AssertKeysMatch(pair);
        AssertNoTokenInCi();
        // What anyone with access to the project's settings or API sees from now on.
        using var client = new GitMirror.Core.Forges.GitLab.GitLabClient(_gitlab.ApiUrl, GitLabToken);
        var shown = await client.GetProjectVariableAsync(project.Id, "GITHUB_DEPLOY_KEY", default);
        Assert.True(shown!.Hidden);
        Assert.Null(shown.Value);

        // A token secret that reappears beside keys in place (an old bootstrap run again) goes too.
        repo.Secrets["GITLAB_TOKEN"] = GitLabToken;
        var again = Assert.Single(await RunAll(Bootstrapper(), [pair]));
        Assert.Equal(Updated, ActionOf(again, Secret, GitHub));
        Assert.Equal(Unchanged, ActionOf(again, DeployKey, GitLab));
        AssertNoTokenInCi();
    }

    [Fact]
    public async Task A_missing_secret_or_a_stray_key_gets_a_fresh_key_and_the_old_ones_go()
    {
        var pair = Pair("myorg/repo1", "team/repo1");
        await RunAll(Bootstrapper(), [pair]);
        var (_, onGitLab) = AssertKeysMatch(pair);
        _github.Repository("myorg/repo1")!.Secrets.Remove("GITLAB_DEPLOY_KEY"); // deleted by someone

        var outcome = Assert.Single(await RunAll(Bootstrapper(), [pair]));

        Assert.Equal(Updated, ActionOf(outcome, DeployKey, GitLab));
        Assert.Contains("GITLAB_DEPLOY_KEY is missing", outcome.Result.Steps.Single(s => s.Step == DeployKey && s.Side == GitLab).Detail);
        Assert.Equal(Created, ActionOf(outcome, Secret, GitHub));
        Assert.Equal(Unchanged, ActionOf(outcome, DeployKey, GitHub));
        Assert.NotEqual(onGitLab.Key, AssertKeysMatch(pair).OnGitLab.Key);
    }

    [Fact]
    public async Task When_the_secret_cannot_be_stored_the_new_key_is_taken_back_and_nothing_leaks()
    {
        var pair = Pair("myorg/repo1", "team/repo1");
        _gitlab.AddProject("team/repo1");
        _github.AddRepository("myorg/repo1");
        // The sealing key is fetched only to store the secret, after the key was added on GitLab.
        _github.EnqueueFailure(500, """{"message":"Server Error"}""", pathContains: "/actions/secrets/public-key");

        var outcome = Assert.Single(await RunAll(Bootstrapper(), [pair]));

        Assert.False(outcome.Result.Succeeded);
        Assert.Equal(Failed, ActionOf(outcome, Secret, GitHub));
        Assert.Equal(Skipped, ActionOf(outcome, DeployKey, GitLab));
        Assert.Contains("deleted again: GITLAB_DEPLOY_KEY could not be set", outcome.Result.Steps.Single(s => s.Step == DeployKey && s.Side == GitLab).Detail);
        Assert.Empty(_gitlab.Project("team/repo1")!.DeployKeys); // taken back: nobody holds its private half
        Assert.Contains(_gitlab.Writes, c => c.Method == "DELETE" && c.Target.Contains("/deploy_keys/", StringComparison.Ordinal));
        Assert.False(_github.Repository("myorg/repo1")!.Secrets.ContainsKey("GITLAB_DEPLOY_KEY"));
        Assert.DoesNotContain("PRIVATE KEY", outcome.Failure!.ToString());

        var retry = Assert.Single(await RunAll(Bootstrapper(), [pair]));
        Assert.True(retry.Result.Succeeded);
        AssertKeysMatch(pair);
    }

    [Fact]
    public async Task ProtectVariables_protects_only_the_key_and_Internal_falls_back_to_private_for_user_repositories()
    {
        var outcome = (await RunAll(Bootstrapper(protect: true, visibility: MirrorRepositoryVisibility.Internal),
            [Pair("myorg/repo1", "team/repo1"), Pair("gh-bot/own", "team/sub/own")])).ToList();

        Assert.All(outcome, o => Assert.True(o.Result.Succeeded));
        Assert.True(_gitlab.Project("team/repo1")!.Variable("GITHUB_DEPLOY_KEY")!.Protected);
        Assert.False(_gitlab.Project("team/repo1")!.Variable("GITHUB_REPO")!.Protected);
        Assert.Equal("internal", _github.Repository("myorg/repo1")!.Visibility);
        Assert.Equal("private", _github.Repository("gh-bot/own")!.Visibility);
        Assert.Contains("no internal visibility", outcome[1].Result.Steps.Single(s => s.Step == Repository && s.Side == GitHub).Detail);
        Assert.Equal("internal", _gitlab.Project("team/sub/own")!.Visibility);
    }

    [Fact]
    public async Task A_missing_workflow_scope_is_diagnosed_before_anything_changes()
    {
        _github.AddUser("gh-bot", GitHubToken, "repo");

        var outcomes = await RunAll(Bootstrapper(), [Pair("myorg/repo1", "team/repo1"), Pair("gh-bot/own", "team/sub/own")]);

        Assert.All(outcomes, o =>
        {
            Assert.False(o.Result.Succeeded);
            Assert.Equal(MirrorBootstrapFailure.TokenScopeMissing, o.Failure!.Failure);
            Assert.Equal("MirrorTokenScopeMissing", o.Failure.ErrorId);
            Assert.Contains("'workflow'", o.Failure.Message);
            Assert.Equal(Failed, ActionOf(o, Repository, GitHub));
            Assert.Equal(8, o.Result.Steps.Count(s => s.Action == Skipped));
        });
        Assert.Empty(_github.Writes);
        Assert.Empty(_gitlab.Writes);
    }

    [Fact]
    public async Task A_missing_token_names_its_environment_variable()
    {
        _env.Remove("GITLAB_TOKEN");

        var outcome = (await RunAll(Bootstrapper(), [Pair("myorg/repo1", "team/repo1")])).Single();

        Assert.Equal("MirrorTokenMissing", outcome.Failure!.ErrorId);
        Assert.Contains("GITLAB_TOKEN", outcome.Failure.Message);
        Assert.Equal(Failed, ActionOf(outcome, Repository, GitLab));
        Assert.Empty(_github.Writes);
    }

    [Fact]
    public async Task WhatIf_describes_every_step_and_changes_nothing()
    {
        var pairs = ThreePairs();
        var asked = new List<(string Target, string Action)>();
        var githubWrites = _github.Writes.Count;

        var outcomes = await RunAll(Bootstrapper(), pairs, (target, action) => { asked.Add((target, action)); return false; });

        Assert.Equal(githubWrites, _github.Writes.Count);
        Assert.Empty(_gitlab.Writes);
        Assert.Empty(_ciFiles.Installed);
        Assert.All(outcomes, o => Assert.True(o.Result.Succeeded));
        var fresh = outcomes[0].Result.Steps;
        Assert.All(fresh, s => Assert.Equal(Skipped, s.Action));
        Assert.Equal(9, asked.Count(a => a.Target.Contains("repo1")));
        Assert.Contains(asked, a => a.Target == "GitHub myorg/repo1" && a.Action.Contains("create private repository in organization myorg"));
        Assert.Contains(asked, a => a.Target == "GitLab team/repo1" && a.Action.Contains("GITHUB_DEPLOY_KEY"));
        Assert.Contains(asked, a => a.Target == "GitHub myorg/repo1" && a.Action.Contains("add write deploy key 'gitmirror CI push from GitLab team/repo1"));
        Assert.Equal(Unchanged, ActionOf(outcomes[2], Repository, GitHub));
        Assert.Null(_github.Repository("myorg/repo1"));
        Assert.Null(_gitlab.Project("team/sub/own"));
    }

    [Fact]
    public async Task A_failing_pair_does_not_stop_the_others_and_no_token_leaks_anywhere()
    {
        var pairs = new[] { Pair("myorg/repo1", "team/repo1"), Pair("myorg/broken", "nogroup/broken"), Pair("gh-bot/own", "team/sub/own") };

        var outcomes = await RunAll(Bootstrapper(gitHubBot: "someone-else"), pairs);

        Assert.Equal([true, false, true], outcomes.Select(o => o.Result.Succeeded));
        var broken = outcomes[1];
        Assert.Equal("MirrorOwnerNotFound", broken.Failure!.ErrorId);
        Assert.Contains("nogroup", broken.Failure.Message);
        Assert.Equal(Created, ActionOf(broken, Repository, GitHub));
        Assert.Equal(Failed, ActionOf(broken, Repository, GitLab));
        Assert.All(broken.Result.Steps.Where(s => s.Step != Repository), s => Assert.Equal(Skipped, s.Action));
        Assert.Contains(_log.Warnings, w => w.Contains("'gh-bot', not to the bot user 'someone-else'"));

        var everything = _github.Calls.Concat(_gitlab.Calls).SelectMany(c => new[] { c.Target }.Concat(c.Headers.Values))
            .Concat(_log.Warnings).Concat(_log.Verbose)
            .Concat(outcomes.SelectMany(o => o.Result.Steps.Select(s => s.Detail ?? "")))
            .Concat(outcomes.Select(o => o.Failure?.ToString() ?? ""))
            .Concat(outcomes.Select(o => o.Result.ToString() ?? "")).ToList();
        Assert.All(everything, text => Assert.DoesNotContain("canary", text));
        // The private keys: stored where they belong, nowhere else. GitHub only ever got them sealed;
        // GitLab only in the body of its variables call.
        var privateKeys = _github.Repositories.SelectMany(r => r.Secrets.Values)
            .Concat(_gitlab.Projects.SelectMany(p => p.Variables.Where(v => v.Key == "GITHUB_DEPLOY_KEY").Select(v => v.Value))).ToList();
        Assert.Equal(4, privateKeys.Count);
        var pems = privateKeys.Select(k => System.Text.Encoding.ASCII.GetString(Convert.FromBase64String(k)))
            .SelectMany(pem => pem.Split('\n').Where(l => l.Length > 0 && !l.StartsWith("-----", StringComparison.Ordinal)));
        var bodies = _github.Calls.Select(c => c.Body ?? "").Concat(_gitlab.Calls.Where(c => !c.Target.Contains("/variables", StringComparison.Ordinal)).Select(c => c.Body ?? ""));
        Assert.All(everything.Concat(bodies), text => Assert.All(privateKeys.Concat(pems), key => Assert.DoesNotContain(key, text)));
    }

    private sealed class RecordingLog : IMirrorLog
    {
        public List<string> Verbose { get; } = [];
        public List<string> Warnings { get; } = [];
        void IMirrorLog.Verbose(string message) => Verbose.Add(message);
        public void Warning(string message) => Warnings.Add(message);
    }

    /// <summary>Stands in for the sync engine's installer: Created the first time per pair, Unchanged after.</summary>
    private sealed class FakeCiFilesInstaller : ICiFilesInstaller
    {
        public List<string> Installed { get; } = [];

        public Task<MirrorBootstrapStep> InstallAsync(MirrorPair pair, CancellationToken ct)
        {
            var again = Installed.Contains(pair.Name);
            Installed.Add(pair.Name);
            return Task.FromResult(new MirrorBootstrapStep
            {
                Step = MirrorBootstrapStepKind.CiFiles, Side = Both, Action = again ? Unchanged : Created, Detail = again ? "in place" : "committed",
            });
        }
    }
}
