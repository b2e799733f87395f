using GitMirror.Testing;

namespace GitMirror.CiTemplates.Tests;

/// <summary>
/// Issue 12, item 5: what a CI's deploy key can and cannot do, proven with the real templates over
/// real SSH (a local sshd that binds each key to its one repository, as the forges do): it pushes
/// to its twin; it is never offered to a host whose key is not pinned; it cannot push to any other
/// repository; and a ref the twin already has is not pushed again, whoever pushed it.
/// </summary>
public sealed class DeployKeyPushTests : IDisposable
{
    private readonly Forges _forges = new();
    private readonly GitHubRunner _runner;
    private int _runs;

    public DeployKeyPushTests()
    {
        _runner = new GitHubRunner(Tools.GitHubWorkflow)
        {
            OriginUrl = $"{_forges.Server.BaseUrl}/github/acme/app.git",
            ActionsToken = _forges.ActionsToken,
            Vars =
            {
                ["GITLAB_REPO"] = "acme/app",
                ["GITLAB_SSH_URL"] = _forges.GitLabSshUrl,
                ["MIRROR_SSH_KNOWN_HOSTS"] = _forges.Ssh.KnownHostsLine,
                ["MIRROR_BOT_USER"] = "gitmirror-bot",
            },
            Secrets = { ["GITLAB_DEPLOY_KEY"] = _forges.GitLabDeployKey.SecretValue },
        };
    }

    public void Dispose() => _forges.Dispose();

    private JobRun RunGitHub(string sha, string actor = "alice")
    {
        var run = _runner.Run(new GitHubPush("refs/heads/main", sha, actor), _forges.Scratch($"workspace-{++_runs}"));
        _forges.AssertNoSecretLeaked(run.Log);
        return run;
    }

    private static string OtherHostKeyLine(Forges forges, string host)
    {
        var file = forges.Scratch("other_host_key");
        var psi = new System.Diagnostics.ProcessStartInfo("ssh-keygen") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-q", "-t", "ed25519", "-N", "", "-f", file }) psi.ArgumentList.Add(a);
        using (var p = System.Diagnostics.Process.Start(psi)!) p.WaitForExit();
        var parts = File.ReadAllText(file + ".pub").Split(' ');
        return $"{host} {parts[0]} {parts[1]}";
    }

    [SkippableTheory]
    [InlineData("another key")]
    [InlineData("no key")] // nothing pinned for the host: no trust on first use
    public void An_unpinned_host_key_fails_the_push_before_the_key_is_offered(string pinned)
    {
        _runner.Vars["MIRROR_SSH_KNOWN_HOSTS"] = pinned == "no key" ? "" : OtherHostKeyLine(_forges, $"[127.0.0.1]:{_forges.Ssh.Port}");
        var commit = new RepoBuilder(_forges.GitHubBare).Commit("main");

        var run = RunGitHub(commit);

        Assert.True(run.Ran);
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("Host key verification failed", run.Log);
        Assert.Contains("MIRROR_SSH_KNOWN_HOSTS", run.Log);
        Assert.Null(Forges.RefOrNull(_forges.GitLabBare, "refs/heads/main"));
        Assert.Empty(_forges.Ssh.Accesses); // the server never got as far as running a command
    }

    [SkippableFact]
    public void The_key_cannot_push_to_another_repository_on_the_same_host()
    {
        var other = Path.Combine(_forges.Root, "gitlab", "acme", "other.git");
        Directory.CreateDirectory(other);
        Git.Run(other, "init", "--quiet", "--bare", "--initial-branch=main");
        _runner.Vars["GITLAB_SSH_URL"] = $"{_forges.Ssh.BaseUrl}/gitlab/acme/other.git";
        var commit = new RepoBuilder(_forges.GitHubBare).Commit("main");

        var run = RunGitHub(commit);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("Permission to gitlab/acme/other.git denied to deploy key", run.Log);
        Assert.Empty(RepoBuilder.Refs(other));
        Assert.Contains(_forges.Ssh.Accesses, a => a.EndsWith("gitlab/acme/other.git refused", StringComparison.Ordinal));
        Assert.DoesNotContain(_forges.Ssh.Accesses, a => a.Contains("allowed", StringComparison.Ordinal));

        // Control: the same job and key push to the key's own repository.
        _runner.Vars["GITLAB_SSH_URL"] = _forges.GitLabSshUrl;
        Assert.True(RunGitHub(commit).Succeeded);
        Assert.Equal(commit, Forges.RefOrNull(_forges.GitLabBare, "refs/heads/main"));
    }

    [SkippableFact]
    public void The_other_sides_key_cannot_push_here()
    {
        // GitLab's CI key opens the GitHub repository only.
        _runner.Secrets["GITLAB_DEPLOY_KEY"] = _forges.GitHubDeployKey.SecretValue;
        var commit = new RepoBuilder(_forges.GitHubBare).Commit("main");

        var run = RunGitHub(commit);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("Permission to gitlab/acme/app.git denied to deploy key", run.Log);
        Assert.Null(Forges.RefOrNull(_forges.GitLabBare, "refs/heads/main"));
    }

    [SkippableFact]
    public void A_ref_the_twin_already_has_is_not_pushed_again_even_when_the_loop_filter_does_not_apply()
    {
        // As after a mirror push whose author the filter does not know (a key added by someone else).
        var commit = new RepoBuilder(_forges.GitHubBare).Commit("main");
        Git.Run(_forges.GitHubBare, "push", "--quiet", _forges.GitLabBare, "refs/heads/main:refs/heads/main");

        var run = RunGitHub(commit, actor: "someone-who-added-a-key");

        Assert.True(run.Succeeded, run.Log);
        Assert.Contains("already", run.Log);
        Assert.DoesNotContain(_forges.Ssh.Accesses, a => a.StartsWith("git-receive-pack", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void The_GitLab_job_refuses_an_unpinned_host_and_cannot_push_to_another_repository()
    {
        Tools.GitLabCiLocal();
        var project = new GitLabProject(_forges.Scratch("gitlab-project"));
        project.Variables["GITHUB_REPO"] = "acme/app";
        project.Variables["GITHUB_DEPLOY_KEY"] = _forges.GitHubDeployKey.SecretValue;
        project.Variables["MIRROR_BOT_USER"] = "gitmirror-bot";
        var sha = project.RepoTip("main")!;

        project.Variables["GITHUB_SSH_URL"] = _forges.GitHubSshUrl;
        project.Variables["MIRROR_SSH_KNOWN_HOSTS"] = OtherHostKeyLine(_forges, $"[127.0.0.1]:{_forges.Ssh.Port}");
        var unpinned = project.Run(new GitLabPush("refs/heads/main", sha, "alice"));
        Assert.NotEqual(0, unpinned.ExitCode);
        Assert.Contains("Host key verification failed", unpinned.Log);
        Assert.Empty(_forges.Ssh.Accesses);

        var other = Path.Combine(_forges.Root, "github", "acme", "other.git");
        Directory.CreateDirectory(other);
        Git.Run(other, "init", "--quiet", "--bare", "--initial-branch=main");
        project.Variables["MIRROR_SSH_KNOWN_HOSTS"] = _forges.Ssh.KnownHostsLine;
        project.Variables["GITHUB_SSH_URL"] = $"{_forges.Ssh.BaseUrl}/github/acme/other.git";
        var elsewhere = project.Run(new GitLabPush("refs/heads/main", sha, "alice"));
        Assert.NotEqual(0, elsewhere.ExitCode);
        Assert.Contains("Permission to github/acme/other.git denied to deploy key", elsewhere.Log);
        Assert.Empty(RepoBuilder.Refs(other));

        project.Variables["GITHUB_SSH_URL"] = _forges.GitHubSshUrl;
        var own = project.Run(new GitLabPush("refs/heads/main", sha, "alice"));
        Assert.True(own.Succeeded, own.Log);
        Assert.Equal(sha, Forges.RefOrNull(_forges.GitHubBare, "refs/heads/main"));
        foreach (var log in new[] { unpinned.Log, elsewhere.Log, own.Log }) _forges.AssertNoSecretLeaked(log);
    }
}
