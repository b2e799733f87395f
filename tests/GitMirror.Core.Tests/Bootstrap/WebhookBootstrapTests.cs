using GitMirror.Core.Bootstrap;
using GitMirror.Testing;
using GitMirror.Testing.Fakes;
using Xunit;
using static GitMirror.MirrorBootstrapAction;
using static GitMirror.MirrorBootstrapSide;
using static GitMirror.MirrorBootstrapStepKind;

namespace GitMirror.Core.Tests.Bootstrap;

/// <summary><c>Initialize-MirrorBootstrap -Trigger Webhook</c> against the forge fakes over real HTTP.</summary>
public sealed class WebhookBootstrapTests : IAsyncLifetime
{
    private const string GitHubToken = "ghp_canaryGH0123456789abcdef";
    private const string GitLabToken = "glpat-canaryGL-0123456789";
    private const string ServiceUrl = "https://mirror.example.com/gitmirror";

    private readonly TempDir _root = new("bootstrap-webhook");
    private readonly Dictionary<string, string> _env = new() { ["GITHUB_TOKEN"] = GitHubToken, ["GITLAB_TOKEN"] = GitLabToken };
    private readonly CountingCiFiles _ciFiles = new();
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

    [Fact]
    public async Task Hooks_are_registered_on_both_forges_once_with_the_secret_and_nothing_goes_into_CI()
    {
        _github.AddRepository("myorg/existing");
        _gitlab.AddProject("team/existing");
        var pairs = new[] { Pair("myorg/existing", "team/existing"), Pair("myorg/fresh", "team/sub/fresh") };

        var first = await Run(Bootstrapper("secret-one"), pairs);
        Assert.All(first, o => Assert.Null(o.Failure));
        Assert.All(first, o => Assert.Equal([(Repository, GitHub), (Repository, GitLab), (Webhook, GitHub), (Webhook, GitLab)],
            o.Result.Steps.Select(s => (s.Step, s.Side)).ToArray()));
        Assert.All(first, o => Assert.All(o.Result.Steps.Where(s => s.Step == Webhook), s => Assert.Equal(Created, s.Action)));

        foreach (var (github, gitlab) in new[] { ("myorg/existing", "team/existing"), ("myorg/fresh", "team/sub/fresh") })
        {
            var repo = _github.Repository(github)!;
            var hook = Assert.Single(repo.Hooks);
            Assert.Equal((ServiceUrl + "/hooks/github", "json", "secret-one", "0", true), (hook.Url, hook.ContentType, hook.Secret, hook.InsecureSsl, hook.Active));
            Assert.Equal(["push"], hook.Events);
            Assert.Empty(repo.Secrets);
            Assert.Empty(repo.Variables);

            var project = _gitlab.Project(gitlab)!;
            var labHook = Assert.Single(project.Hooks);
            Assert.Equal((ServiceUrl + "/hooks/gitlab", "secret-one", true, true, true),
                (labHook.Url, labHook.Token, labHook.PushEvents, labHook.TagPushEvents, labHook.EnableSslVerification));
            Assert.Empty(project.Variables);
        }
        Assert.Empty(_ciFiles.Installed);

        // Again, with a rotated secret: still one hook per repository, now with the new secret.
        var second = await Run(Bootstrapper("secret-two"), pairs);
        Assert.All(second, o => Assert.Equal([Unchanged, Unchanged, Updated, Updated], o.Result.Steps.Select(s => s.Action).ToArray()));
        Assert.Equal("secret-two", Assert.Single(_github.Repository("myorg/fresh")!.Hooks).Secret);
        Assert.Equal("secret-two", Assert.Single(_gitlab.Project("team/sub/fresh")!.Hooks).Token);
        Assert.Empty(_ciFiles.Installed);
        Assert.All(first.Concat(second).SelectMany(o => o.Result.Steps), s => Assert.DoesNotContain("secret-", s.Detail ?? ""));
    }

    [Fact]
    public async Task WhatIf_registers_nothing()
    {
        _github.AddRepository("myorg/existing");
        _gitlab.AddProject("team/existing");
        var outcome = Assert.Single(await Run(Bootstrapper("s"), [Pair("myorg/existing", "team/existing")], (_, _) => false));
        Assert.All(outcome.Result.Steps.Where(s => s.Step == Webhook), s => Assert.Equal(Skipped, s.Action));
        Assert.Empty(_github.Repository("myorg/existing")!.Hooks);
        Assert.Empty(_gitlab.Project("team/existing")!.Hooks);
    }

    private MirrorBootstrapper Bootstrapper(string secret) => new(new MirrorBootstrapOptions
    {
        GitHubBotUser = "",
        GitLabBotUser = "",
        Trigger = MirrorBootstrapTrigger.Webhook,
        ServiceUrl = ServiceUrl,
        WebhookSecret = secret,
    }, _ciFiles, null, name => _env.GetValueOrDefault(name));

    private static async Task<List<MirrorBootstrapOutcome>> Run(MirrorBootstrapper bootstrapper, IEnumerable<MirrorPair> pairs, Func<string, string, bool>? shouldProcess = null)
    {
        var outcomes = new List<MirrorBootstrapOutcome>();
        foreach (var pair in pairs) outcomes.Add(await bootstrapper.BootstrapAsync(pair, shouldProcess ?? ((_, _) => true), default));
        return outcomes;
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

    private sealed class CountingCiFiles : ICiFilesInstaller
    {
        public List<string> Installed { get; } = [];

        public Task<MirrorBootstrapStep> InstallAsync(MirrorPair pair, CancellationToken ct)
        {
            Installed.Add(pair.Name);
            return Task.FromResult(new MirrorBootstrapStep { Step = MirrorBootstrapStepKind.CiFiles, Side = Both, Action = Created });
        }
    }
}
