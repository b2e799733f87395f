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
        MirrorRepositoryVisibility visibility = MirrorRepositoryVisibility.Private) =>
        new(new MirrorBootstrapOptions { GitHubBotUser = gitHubBot, GitLabBotUser = "gl-bot", ProtectVariables = protect, Visibility = visibility },
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

    [Fact]
    public async Task Creates_what_is_missing_sets_secrets_and_variables_and_a_second_run_only_rotates_the_secrets()
    {
        var pairs = ThreePairs();

        var first = await RunAll(Bootstrapper(), pairs);

        Assert.All(first, o => Assert.True(o.Result.Succeeded, string.Join("\n", o.Result.Steps.Select(s => s.Detail))));
        Assert.Equal([Created, Created, Unchanged], first.Select(o => ActionOf(o, Repository, GitHub)));
        Assert.Equal([Created, Created, Unchanged], first.Select(o => ActionOf(o, Repository, GitLab)));
        Assert.Equal("private", _github.Repository("gh-bot/own")!.Visibility);
        Assert.Equal("private", _gitlab.Project("team/sub/own")!.Visibility);
        Assert.True(File.Exists(Path.Combine(_gitlab.Project("team/sub/own")!.BarePath, "HEAD")));
        foreach (var pair in pairs)
        {
            var repo = _github.Repository(pair.GitHub)!;
            Assert.Equal(GitLabToken, repo.Secrets["GITLAB_TOKEN"]);
            Assert.Equal(pair.GitLab, repo.Variables["GITLAB_REPO"]);
            Assert.Equal("https://gitlab.example", repo.Variables["GITLAB_URL"]);
            Assert.Equal("gh-bot", repo.Variables["MIRROR_BOT_USER"]);
            var project = _gitlab.Project(pair.GitLab)!;
            Assert.Equal(new FakeGitLabVariable("GITHUB_TOKEN", GitHubToken, Masked: true, Protected: false, Raw: true, Hidden: true), project.Variable("GITHUB_TOKEN"));
            Assert.Equal(new FakeGitLabVariable("GITHUB_REPO", pair.GitHub, false, false, true), project.Variable("GITHUB_REPO"));
            Assert.Equal("https://github.example", project.Variable("GITHUB_URL")!.Value);
            Assert.Equal("gl-bot", project.Variable("MIRROR_BOT_USER")!.Value);
        }
        Assert.Equal(pairs.Select(p => p.Name), _ciFiles.Installed);

        _github.Repository("myorg/repo1")!.Variables["GITLAB_REPO"] = "stale/value";
        var writesBefore = _gitlab.Writes.Count;
        var second = await RunAll(Bootstrapper(), pairs);

        Assert.All(second, o =>
        {
            Assert.True(o.Result.Succeeded);
            Assert.Equal(Unchanged, ActionOf(o, Repository, GitHub));
            Assert.Equal(Unchanged, ActionOf(o, Repository, GitLab));
            Assert.Equal(Updated, ActionOf(o, Secret, GitHub));
            Assert.Equal(Updated, ActionOf(o, Secret, GitLab));
            Assert.Equal(Unchanged, ActionOf(o, Variables, GitLab));
            Assert.Equal(Unchanged, ActionOf(o, MirrorBootstrapStepKind.CiFiles, Both));
        });
        Assert.Equal([Updated, Unchanged, Unchanged], second.Select(o => ActionOf(o, Variables, GitHub)));
        Assert.Equal("team/repo1", _github.Repository("myorg/repo1")!.Variables["GITLAB_REPO"]);
        Assert.Equal(3, _gitlab.Writes.Count - writesBefore); // one token re-put per pair, nothing else
        Assert.Equal(Git.Run(_github.Repository("myorg/legacy")!.BarePath, "rev-parse", "main"),
            Git.Run(_gitlab.Project("team/legacy")!.BarePath, "rev-parse", "main"));
    }

    [Fact]
    public async Task A_visible_token_variable_of_an_older_bootstrap_is_replaced_by_a_hidden_one()
    {
        var project = _gitlab.AddProject("team/repo1");
        project.Variables.Add(new FakeGitLabVariable("GITHUB_TOKEN", "ghp_oldvisiblevalue000", Masked: true, Protected: false, Raw: true));

        var outcome = Assert.Single(await RunAll(Bootstrapper(), [Pair("myorg/repo1", "team/repo1")]));

        Assert.True(outcome.Result.Succeeded);
        Assert.Equal(Updated, ActionOf(outcome, Secret, GitLab));
        Assert.Equal(new FakeGitLabVariable("GITHUB_TOKEN", GitHubToken, Masked: true, Protected: false, Raw: true, Hidden: true), project.Variable("GITHUB_TOKEN"));
        // What anyone with access to the project's settings or API sees from now on.
        using var client = new GitMirror.Core.Forges.GitLab.GitLabClient(_gitlab.ApiUrl, GitLabToken);
        var shown = await client.GetProjectVariableAsync(project.Id, "GITHUB_TOKEN", default);
        Assert.True(shown!.Hidden);
        Assert.Null(shown.Value);

        var again = Assert.Single(await RunAll(Bootstrapper(), [Pair("myorg/repo1", "team/repo1")]));
        Assert.True(again.Result.Succeeded, string.Join("; ", again.Result.Steps.Select(s => s.Detail)));
        Assert.True(project.Variable("GITHUB_TOKEN")!.Hidden);
    }

    [Fact]
    public async Task ProtectVariables_protects_only_the_token_and_Internal_falls_back_to_private_for_user_repositories()
    {
        var outcome = (await RunAll(Bootstrapper(protect: true, visibility: MirrorRepositoryVisibility.Internal),
            [Pair("myorg/repo1", "team/repo1"), Pair("gh-bot/own", "team/sub/own")])).ToList();

        Assert.All(outcome, o => Assert.True(o.Result.Succeeded));
        Assert.True(_gitlab.Project("team/repo1")!.Variable("GITHUB_TOKEN")!.Protected);
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
            Assert.Equal(6, o.Result.Steps.Count(s => s.Action == Skipped));
        });
        Assert.Empty(_github.Writes);
        Assert.Empty(_gitlab.Writes);
    }

    [Fact]
    public async Task A_token_GitLab_cannot_mask_is_refused_up_front_naming_the_rule()
    {
        _env["GITHUB_TOKEN"] = "ghp canary with spaces";
        _github.AddUser("gh-bot", "ghp canary with spaces", "repo", "workflow");

        var outcome = (await RunAll(Bootstrapper(), [Pair("myorg/repo1", "team/repo1")])).Single();

        Assert.Equal(MirrorBootstrapFailure.TokenNotMaskable, outcome.Failure!.Failure);
        Assert.Contains("at least 8 characters", outcome.Failure.Message);
        Assert.DoesNotContain("canary", outcome.Failure.Message);
        Assert.Empty(_github.Calls);
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
        Assert.Equal(7, asked.Count(a => a.Target.Contains("repo1")));
        Assert.Contains(asked, a => a.Target == "GitHub myorg/repo1" && a.Action.Contains("create private repository in organization myorg"));
        Assert.Contains(asked, a => a.Target == "GitLab team/repo1" && a.Action.Contains("GITHUB_TOKEN"));
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
            .Concat(outcomes.Select(o => o.Failure?.ToString() ?? ""));
        Assert.All(everything, text => Assert.DoesNotContain("canary", text));
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
