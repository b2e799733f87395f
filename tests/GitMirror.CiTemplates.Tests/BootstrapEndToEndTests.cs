using GitMirror.Core;
using GitMirror.Core.Bootstrap;
using GitMirror.Core.Engine;
using GitMirror.Testing;
using GitMirror.Testing.Fakes;

namespace GitMirror.CiTemplates.Tests;

/// <summary>
/// Bootstrap's CiFiles step end to end: the GitHub and GitLab API fakes and the smart-HTTP git
/// server share one project root (forges/github/…, forges/gitlab/…), so repositories the fakes
/// create are the ones the engine pushes to, and the CI jobs then run from the files bootstrap
/// committed, with the secrets and variables it stored.
/// </summary>
public sealed class BootstrapEndToEndTests : IAsyncLifetime
{
    private const string GitHubBot = "gh-bot";
    private const string GitLabBot = "gl-bot";
    private const string WorkflowRefusal = "refusing to allow a Personal Access Token to create or update workflow";

    private readonly TempDir _dir = new("gitmirror-boot");
    private readonly RecordingLog _log = new();
    private readonly string _gitHubToken = $"ghp_CANARYgh{Guid.NewGuid():N}";
    private readonly string _gitLabToken = $"glpat-CANARYgl{Guid.NewGuid():N}";
    private readonly string _actionsToken = $"ghs_CANARYrun{Guid.NewGuid():N}";
    // Names of this instance's own: the engine reads tokens from the process environment, shared by parallel tests.
    private readonly string _gitHubTokenEnv = $"GITMIRROR_TEST_GH_{Guid.NewGuid():N}";
    private readonly string _gitLabTokenEnv = $"GITMIRROR_TEST_GL_{Guid.NewGuid():N}";
    private FakeGitHubApi _github = null!;
    private FakeGitLabApi _gitlab = null!;
    private GitHttpServer _server = null!;
    private int _scratch;

    public async Task InitializeAsync()
    {
        var forges = _dir.Combine("forges");
        _github = await FakeGitHubApi.StartAsync(Path.Combine(forges, "github"));
        _gitlab = await FakeGitLabApi.StartAsync(Path.Combine(forges, "gitlab"));
        _server = GitHttpServer.Start(forges);
        foreach (var token in new[] { _gitHubToken, _gitLabToken, _actionsToken }) _server.AcceptedTokens.Add(token);
        _github.EnforceWorkflowScope(_server, "/github");
        _github.AddUser(GitHubBot, _gitHubToken, "repo", "workflow");
        _github.AddOrganization("myorg");
        _gitlab.AddUser(GitLabBot, _gitLabToken, "api", "write_repository");
        _gitlab.AddGroup("team");
        Environment.SetEnvironmentVariable(_gitHubTokenEnv, _gitHubToken);
        Environment.SetEnvironmentVariable(_gitLabTokenEnv, _gitLabToken);
    }

    public async Task DisposeAsync()
    {
        Environment.SetEnvironmentVariable(_gitHubTokenEnv, null);
        Environment.SetEnvironmentVariable(_gitLabTokenEnv, null);
        await _server.DisposeAsync();
        await _github.DisposeAsync();
        await _gitlab.DisposeAsync();
        _dir.Dispose();
    }

    private MirrorPair Pair(string github, string gitlab) => new()
    {
        Name = github,
        GitHub = github,
        GitLab = gitlab,
        GitHubUrl = $"{_server.BaseUrl}/github/{github}.git",
        GitLabUrl = $"{_server.BaseUrl}/gitlab/{gitlab}.git",
        ConfigPath = _dir.Combine("repos.yaml"),
        CachePath = _dir.Combine("cache"),
        GitHubApi = _github.ApiUrl,
        GitLabApi = _gitlab.ApiUrl,
        GitHubTokenEnv = _gitHubTokenEnv,
        GitLabTokenEnv = _gitLabTokenEnv,
    };

    private string GitHubBare(MirrorPair pair) => Path.Combine(_github.ProjectRoot, pair.GitHub + ".git");

    private string GitLabBare(MirrorPair pair) => Path.Combine(_gitlab.ProjectRoot, pair.GitLab + ".git");

    private async Task<List<MirrorBootstrapOutcome>> Bootstrap(params MirrorPair[] pairs)
    {
        var bootstrapper = new MirrorBootstrapper(new MirrorBootstrapOptions { GitHubBotUser = GitHubBot, GitLabBotUser = GitLabBot },
            new CiFilesInstaller(_log), _log);
        var outcomes = new List<MirrorBootstrapOutcome>();
        foreach (var pair in pairs) outcomes.Add(await bootstrapper.BootstrapAsync(pair, (_, _) => true, default));
        return outcomes;
    }

    private static MirrorBootstrapStep CiFilesStep(MirrorBootstrapOutcome outcome) =>
        outcome.Result.Steps.Single(s => s.Step == MirrorBootstrapStepKind.CiFiles);

    /// <summary>Commits <paramref name="content"/> as <paramref name="path"/> on main of a bare repository, as a person would.</summary>
    private string CommitFile(string bare, string path, string content)
    {
        var work = _dir.Combine($"person-{++_scratch}");
        Git.Run(_dir.Path, "clone", "--quiet", bare, work);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(work, path))!);
        File.WriteAllText(Path.Combine(work, path), content);
        Git.Run(work, "add", "--", path);
        Git.Run(work, "commit", "--quiet", "-m", $"edit {path}");
        Git.Run(work, "push", "--quiet", "origin", "HEAD:refs/heads/main");
        return Git.Run(work, "rev-parse", "HEAD");
    }

    private static string Show(string bare, string spec) => Git.Run(bare, "show", spec);

    [Fact]
    public async Task Fresh_and_existing_pairs_end_with_one_identical_CI_commit_and_a_second_run_changes_nothing()
    {
        var legacyGitHub = _github.AddRepository("myorg/legacy");
        _gitlab.AddProject("team/legacy");
        const string ownCi = "# build everything\nstages: [build]\n\nbuild:\n  stage: build\n  script: make # the real work\n";
        new RepoBuilder(legacyGitHub.BarePath).Commits(2);
        var legacyTip = CommitFile(legacyGitHub.BarePath, ".gitlab-ci.yml", ownCi);
        var pairs = new[] { Pair("myorg/repo1", "team/repo1"), Pair($"{GitHubBot}/own", "team/own"), Pair("myorg/legacy", "team/legacy") };

        var first = await Bootstrap(pairs);

        Assert.All(first, o => Assert.True(o.Result.Succeeded, string.Join("\n", o.Result.Steps.Select(s => $"{s.Step} {s.Side} {s.Action}: {s.Detail}"))));
        Assert.Equal([MirrorBootstrapAction.Created, MirrorBootstrapAction.Created, MirrorBootstrapAction.Updated], first.Select(o => CiFilesStep(o).Action));
        var engine = new MirrorEngine(NullMirrorLog.Instance);
        foreach (var pair in pairs)
        {
            var (github, gitlab) = (GitHubBare(pair), GitLabBare(pair));
            var tip = Git.Run(github, "rev-parse", "refs/heads/main");
            Assert.Equal(tip, Git.Run(gitlab, "rev-parse", "refs/heads/main"));
            Assert.Contains(tip[..10], CiFilesStep(first[Array.IndexOf(pairs, pair)]).Detail);
            Assert.Equal(File.ReadAllText(Tools.GitHubWorkflow).TrimEnd('\n'), Show(github, "main:.github/workflows/gitmirror.yml"));
            Assert.Equal(File.ReadAllText(Tools.GitLabJob).TrimEnd('\n'), Show(gitlab, "main:.gitlab/gitmirror.gitlab-ci.yml"));
            Assert.Equal("GitMirror <gitmirror@users.noreply>", Git.Run(github, "log", "-1", "--format=%an <%ae>", "main"));
            var comparison = await engine.CompareAsync(pair, default);
            Assert.Empty(comparison.Diverged);
            Assert.All(comparison.Comparisons, c => Assert.Equal(MirrorRefStatus.InSync, c.Status));
        }
        // Fresh repositories: the CI commit is the first commit of main. The legacy one: one commit on top, its file kept.
        Assert.Equal("1", Git.Run(GitHubBare(pairs[0]), "rev-list", "--count", "main"));
        Assert.Equal("1", Git.Run(GitLabBare(pairs[1]), "rev-list", "--count", "main"));
        Assert.Equal(legacyTip, Git.Run(legacyGitHub.BarePath, "rev-parse", "main^"));
        var composed = Show(legacyGitHub.BarePath, "main:.gitlab-ci.yml") + "\n";
        Assert.StartsWith(ownCi, composed);
        Assert.Equal(CiFilesComposer.AddInclude(ownCi), composed);
        Assert.Equal(3, Git.Run(legacyGitHub.BarePath, "diff", "--name-only", "main^", "main").Split('\n').Length);

        var tips = pairs.Select(p => Git.Run(GitHubBare(p), "rev-parse", "main")).ToList();
        var second = await Bootstrap(pairs);

        Assert.All(second, o => Assert.Equal(MirrorBootstrapAction.Unchanged, CiFilesStep(o).Action));
        Assert.Equal(tips, pairs.Select(p => Git.Run(GitHubBare(p), "rev-parse", "main")));
        Assert.Equal(tips, pairs.Select(p => Git.Run(GitLabBare(p), "rev-parse", "main")));
        AssertNoTokenLeaked(first.Concat(second));
    }

    [SkippableFact]
    public async Task After_bootstrap_a_push_on_either_side_reaches_the_other_through_the_installed_templates_with_the_deploy_keys()
    {
        Tools.RequireSshd();
        using var ssh = SshGitServer.Start(_dir.Combine("forges"), _dir.Combine("sshd"));
        _github.SshBaseUrl = $"{ssh.BaseUrl}/github";
        _gitlab.SshBaseUrl = $"{ssh.BaseUrl}/gitlab";
        var pair = Pair("myorg/app", "team/app");
        Assert.True((await Bootstrap(pair)).Single().Result.Succeeded);
        var (github, gitlab) = (GitHubBare(pair), GitLabBare(pair));
        var (gitHubKey, gitLabKey) = (Assert.Single(_github.Repository(pair.GitHub)!.DeployKeys), Assert.Single(_gitlab.Project(pair.GitLab)!.DeployKeys));
        // The forges bind a deploy key to the repository it was added to; so does the test's sshd.
        ssh.SetKeys([(gitHubKey.Key, $"github/{pair.GitHub}.git"), (gitLabKey.Key, $"gitlab/{pair.GitLab}.git")]);

        // GitHub → GitLab: the workflow bootstrap committed, with the secret and variables it stored
        // (MIRROR_SSH_KNOWN_HOSTS is the operator's: the test host is not github.com or gitlab.com).
        var workflow = _dir.Combine("gitmirror.yml");
        File.WriteAllText(workflow, Show(github, "main:.github/workflows/gitmirror.yml") + "\n");
        var stored = _github.Repository(pair.GitHub)!;
        var runner = new GitHubRunner(workflow)
        {
            OriginUrl = pair.GitHubUrl,
            ActionsToken = _actionsToken,
            Vars = new Dictionary<string, string>(stored.Variables) { ["MIRROR_SSH_KNOWN_HOSTS"] = ssh.KnownHostsLine },
            Secrets = new Dictionary<string, string>(stored.Secrets),
        };
        var fromGitHub = new RepoBuilder(github).Commit("main");
        var githubRun = runner.Run(new GitHubPush("refs/heads/main", fromGitHub, "alice"), _dir.Combine("workspace"));
        Assert.True(githubRun.Succeeded, githubRun.Log);
        Assert.Equal(fromGitHub, Git.Run(gitlab, "rev-parse", "main"));
        Assert.Contains($"git-receive-pack gitlab/{pair.GitLab}.git allowed", ssh.Accesses);

        // GitLab → GitHub: the job the .gitlab-ci.yml on main includes, run by gitlab-ci-local.
        var project = new GitLabProject(_dir.Combine("gitlab-build"), gitlab);
        foreach (var variable in _gitlab.Project(pair.GitLab)!.Variables) project.Variables[variable.Key] = variable.Value;
        project.Variables["MIRROR_SSH_KNOWN_HOSTS"] = ssh.KnownHostsLine;
        Tools.GitLabCiLocal(); // skips here without it (fails under CI=true)
        var fromGitLab = project.Commit("main", "made on GitLab");
        var gitlabRun = project.Run(new GitLabPush("refs/heads/main", fromGitLab, "alice"));
        Assert.True(gitlabRun.Succeeded, gitlabRun.Log);
        Assert.Equal(fromGitLab, Git.Run(github, "rev-parse", "main"));
        Assert.Contains($"git-receive-pack github/{pair.GitHub}.git allowed", ssh.Accesses);

        // The loop filter: GitHub reports a deploy-key push as pushed by whoever added the key, the
        // bot here, so the push GitLab's job just made does not start GitHub's job again.
        Assert.Equal(GitHubBot, gitHubKey.AddedBy);
        Assert.Equal(GitLabBot, gitLabKey.AddedBy);
        Assert.False(runner.Run(new GitHubPush("refs/heads/main", fromGitLab, gitHubKey.AddedBy), _dir.Combine("workspace-echo")).Ran);
        Assert.False(project.Run(new GitLabPush("refs/heads/main", fromGitHub, gitLabKey.AddedBy)).Ran);

        foreach (var log in new[] { githubRun.Log, gitlabRun.Log })
        {
            Assert.DoesNotContain(_gitHubToken, log);
            Assert.DoesNotContain(_gitLabToken, log);
            foreach (var secret in StoredKeys()) Assert.DoesNotContain(secret, log);
        }
    }

    /// <summary>Every private key bootstrap stored in either CI, as stored (Base64 of the PEM).</summary>
    private IEnumerable<string> StoredKeys() =>
        _github.Repositories.SelectMany(r => r.Secrets.Values)
            .Concat(_gitlab.Projects.SelectMany(p => p.Variables.Where(v => v.Key == MirrorCiVariables.GitLabKeyVariable).Select(v => v.Value)));

    [Fact]
    public async Task A_diverged_pair_gets_every_step_but_the_CI_files_which_fail_naming_the_refs()
    {
        var pair = Pair("myorg/split", "team/split");
        _github.AddRepository(pair.GitHub);
        _gitlab.AddProject(pair.GitLab);
        var githubTip = new RepoBuilder(GitHubBare(pair)).Commit("main", message: "made on GitHub");
        var gitlabTip = new RepoBuilder(GitLabBare(pair)).Commit("main", message: "made on GitLab");

        var outcome = (await Bootstrap(pair)).Single();

        Assert.False(outcome.Result.Succeeded);
        Assert.Equal("MirrorBootstrapFailed", outcome.Failure!.ErrorId);
        var ciFiles = CiFilesStep(outcome);
        Assert.Equal(MirrorBootstrapAction.Failed, ciFiles.Action);
        Assert.Contains("refs/heads/main", ciFiles.Detail);
        Assert.Contains("Repair-MirrorDivergence", ciFiles.Detail);
        Assert.All(outcome.Result.Steps.Where(s => s.Step != MirrorBootstrapStepKind.CiFiles),
            s => Assert.NotEqual(MirrorBootstrapAction.Failed, s.Action));
        // The keys are in place even so: the GitHub secret opens exactly the key on the GitLab project.
        Assert.Equal(Assert.Single(_gitlab.Project(pair.GitLab)!.DeployKeys).Key,
            DeployKeyPair.PublicKeyFromSecret(_github.Repository(pair.GitHub)!.Secrets[MirrorCiVariables.GitHubSecretName]));
        Assert.Equal(githubTip, Git.Run(GitHubBare(pair), "rev-parse", "main"));
        Assert.Equal(gitlabTip, Git.Run(GitLabBare(pair), "rev-parse", "main"));
    }

    [Fact]
    public async Task Without_the_workflow_scope_GitHubs_git_endpoint_refuses_workflow_files_and_the_message_surfaces()
    {
        _github.AddUser(GitHubBot, _gitHubToken, "repo"); // the same token, now without `workflow`
        var pair = Pair("myorg/noscope", "team/noscope");
        _github.AddRepository(pair.GitHub);
        _gitlab.AddProject(pair.GitLab);
        var engine = new MirrorEngine(NullMirrorLog.Instance);

        // Control: a commit without workflow files goes through.
        var plain = new RepoBuilder(GitLabBare(pair)).Commit("main");
        Assert.Equal(MirrorSyncStatus.Synced, (await engine.SyncAsync(pair, _ => true, default)).Result.Status);
        Assert.Equal(plain, Git.Run(GitHubBare(pair), "rev-parse", "main"));

        // The daemon mirroring a GitLab commit that touches .github/workflows/.
        CommitFile(GitLabBare(pair), ".github/workflows/build.yml", "on: push\n");
        var sync = await engine.SyncAsync(pair, _ => true, default);
        Assert.Equal(MirrorSyncStatus.Failed, sync.Result.Status);
        Assert.Contains($"{WorkflowRefusal} `.github/workflows/build.yml` without `workflow` scope", sync.Result.Error);
        Assert.Equal(plain, Git.Run(GitHubBare(pair), "rev-parse", "main"));

        // Bootstrap's own commit is refused the same way, GitHub first: nothing reaches GitLab either.
        var fresh = Pair("myorg/noscope2", "team/noscope2");
        _github.AddRepository(fresh.GitHub);
        _gitlab.AddProject(fresh.GitLab);
        var step = await new CiFilesInstaller(_log).InstallAsync(fresh, default);
        Assert.Equal(MirrorBootstrapAction.Failed, step.Action);
        Assert.Contains(WorkflowRefusal, step.Detail);
        Assert.Contains("nothing changed on either side", step.Detail);
        Assert.Empty(RepoBuilder.Refs(GitHubBare(fresh)));
        Assert.Empty(RepoBuilder.Refs(GitLabBare(fresh)));
    }

    [Fact]
    public async Task When_GitLab_refuses_the_commit_the_step_fails_and_the_next_sync_fast_forwards_GitLab()
    {
        var pair = Pair("myorg/halfway", "team/halfway");
        _github.AddRepository(pair.GitHub);
        _gitlab.AddProject(pair.GitLab);
        var hook = Path.Combine(GitLabBare(pair), "hooks", "pre-receive");
        File.WriteAllText(hook, "#!/bin/sh\necho 'GitLab: the project is read-only' >&2\nexit 1\n");
        // (Git for Windows runs hooks whatever their mode.)
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var step = await new CiFilesInstaller(_log).InstallAsync(pair, default);

        Assert.Equal(MirrorBootstrapAction.Failed, step.Action);
        Assert.Contains("next Sync-MirrorPair", step.Detail);
        var commit = Git.Run(GitHubBare(pair), "rev-parse", "main");
        Assert.Contains(commit[..10], step.Detail);
        Assert.Empty(RepoBuilder.Refs(GitLabBare(pair)));

        File.Delete(hook);
        var sync = await new MirrorEngine(NullMirrorLog.Instance).SyncAsync(pair, _ => true, default);
        Assert.Equal(MirrorSyncStatus.Synced, sync.Result.Status);
        Assert.Equal(commit, Git.Run(GitLabBare(pair), "rev-parse", "main"));
        Assert.Equal(MirrorBootstrapAction.Unchanged, (await new CiFilesInstaller(_log).InstallAsync(pair, default)).Action);
    }

    private void AssertNoTokenLeaked(IEnumerable<MirrorBootstrapOutcome> outcomes)
    {
        var texts = outcomes.SelectMany(o => o.Result.Steps.Select(s => s.Detail ?? ""))
            .Concat(_log.Messages)
            .Concat(_server.Requests.Select(r => r.PathAndQuery))
            .Concat(_github.Calls.Concat(_gitlab.Calls).Select(c => c.Target));
        Assert.All(texts, t => Assert.DoesNotContain("CANARY", t));
        var keys = StoredKeys().ToList();
        Assert.NotEmpty(keys);
        Assert.All(texts, t => Assert.All(keys, key => Assert.DoesNotContain(key, t)));
    }

    private sealed class RecordingLog : IMirrorLog
    {
        private readonly List<string> _messages = [];

        public IReadOnlyList<string> Messages
        {
            get { lock (_messages) return [.. _messages]; }
        }

        public void Verbose(string message)
        {
            lock (_messages) _messages.Add(message);
        }

        public void Warning(string message) => Verbose(message);
    }
}
