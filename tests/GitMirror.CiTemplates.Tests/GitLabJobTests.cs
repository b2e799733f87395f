using GitMirror.Testing;

namespace GitMirror.CiTemplates.Tests;

/// <summary>The GitLab job, run by gitlab-ci-local on a detached HEAD, pushing to the local "GitHub".</summary>
public sealed class GitLabJobTests : IDisposable
{
    private const string Bot = "gitmirror-bot";
    private readonly Forges _forges = new();
    private readonly GitLabProject _project;

    public GitLabJobTests()
    {
        Tools.GitLabCiLocal(); // skip (or fail under CI) before building anything
        _project = new GitLabProject(_forges.Scratch("gitlab-project"));
        _project.Variables["GITHUB_URL"] = $"{_forges.Server.BaseUrl}/github";
        _project.Variables["GITHUB_REPO"] = "acme/app";
        _project.Variables["GITHUB_SSH_URL"] = _forges.GitHubSshUrl;
        _project.Variables["MIRROR_SSH_KNOWN_HOSTS"] = _forges.Ssh.KnownHostsLine;
        _project.Variables["GITHUB_DEPLOY_KEY"] = _forges.GitHubDeployKey.SecretValue;
        _project.Variables["MIRROR_BOT_USER"] = Bot;
    }

    public void Dispose() => _forges.Dispose();

    private JobRun Run(GitLabPush push, bool runnerFetchedTags = true)
    {
        var run = _project.Run(push, runnerFetchedTags);
        _forges.AssertNoSecretLeaked(run.Log);
        return run;
    }

    private string? GitHubRef(string name) => Forges.RefOrNull(_forges.GitHubBare, name);

    [SkippableFact]
    public void NewBranchThenFastForward_FromDetachedHead_ArriveOnGitHub()
    {
        var c1 = _project.Commit("feature", "first", from: _project.RepoTip("main"));
        var first = Run(new GitLabPush("refs/heads/feature", c1, "alice"));
        Assert.True(first.Succeeded, first.Log);
        Assert.Equal(c1, GitHubRef("refs/heads/feature"));
        // The job really ran on a detached HEAD with no local branch to lean on.
        Assert.Equal("HEAD", Git.Run(_project.WorkTree, "rev-parse", "--abbrev-ref", "HEAD"));

        var c2 = _project.Commit("feature", "second");
        var second = Run(new GitLabPush("refs/heads/feature", c2, "alice"));
        Assert.True(second.Succeeded, second.Log);
        Assert.Equal(c2, GitHubRef("refs/heads/feature"));
        // Pushed over SSH with the deploy key, to its one repository.
        Assert.Contains("git-receive-pack github/acme/app.git allowed", _forges.Ssh.Accesses);
    }

    [SkippableFact]
    public void CommitUsingLfs_IsLeftToTheDaemon_WhichCopiesItsObjectsFirst()
    {
        File.WriteAllText(Path.Combine(_project.WorkTree, ".gitattributes"), "*.bin filter=lfs diff=lfs merge=lfs -text\n");
        var commit = _project.Commit("media", "lfs files", from: _project.RepoTip("main"));

        var run = Run(new GitLabPush("refs/heads/media", commit, "alice"));

        Assert.True(run.Succeeded, run.Log);
        Assert.Contains("uses Git LFS", run.Log);
        Assert.Null(GitHubRef("refs/heads/media"));
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)] // the job fetches the tag from origin itself
    public void AnnotatedTag_ArrivesAsTheSameTagObject(bool runnerFetchedTags)
    {
        var commit = _project.RepoTip("main")!;
        Git.Run(_project.WorkTree, "tag", "-a", "-m", "release 2.0", "v2.0", commit);
        Git.Run(_project.WorkTree, "push", "--quiet", "origin", "refs/tags/v2.0");
        var tagObject = Git.Run(_project.OriginPath, "rev-parse", "refs/tags/v2.0");

        var run = Run(new GitLabPush("refs/tags/v2.0", commit, "alice"), runnerFetchedTags);

        Assert.True(run.Succeeded, run.Log);
        Assert.Equal(tagObject, GitHubRef("refs/tags/v2.0"));
        Assert.Equal("tag", Git.Run(_forges.GitHubBare, "cat-file", "-t", "refs/tags/v2.0"));
    }

    [SkippableTheory]
    [InlineData(Bot, "push", false)]
    [InlineData("alice", "merge_request_event", false)]
    [InlineData("alice", "schedule", false)]
    [InlineData("alice", "push", true)] // control: the same pipeline by a person runs
    public void OnlyPeoplesPushesRun(string user, string source, bool runs)
    {
        var sha = _project.RepoTip("main")!;
        var run = Run(new GitLabPush("refs/heads/main", sha, user, source));
        Assert.Equal(runs, run.Ran);
        Assert.Equal(runs ? sha : null, GitHubRef("refs/heads/main"));
    }

    [SkippableFact]
    public void Deletion_IsSkipped()
    {
        var run = Run(new GitLabPush("refs/heads/main", "0000000000000000000000000000000000000000", "alice"));
        Assert.False(run.Ran, run.Log);
        Assert.Null(GitHubRef("refs/heads/main"));
    }

    [SkippableFact]
    public void NonFastForward_FailsAndNamesTheDaemon_LeavingGitHubAlone()
    {
        var theirs = new RepoBuilder(_forges.GitHubBare).Commit("main", message: "made on GitHub");
        var ours = _project.RepoTip("main")!;

        var run = Run(new GitLabPush("refs/heads/main", ours, "alice"));

        Assert.True(run.Ran);
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("GitMirror daemon (Sync-MirrorPair) will detect the divergence", run.Log);
        Assert.Equal(theirs, GitHubRef("refs/heads/main"));
    }

    [SkippableTheory]
    [InlineData("feature", "ALLOW branch feature\nDENY any **", true)]
    [InlineData("dependabot/npm/x", "DENY any dependabot/**\nALLOW branch **", false)] // the first matching line wins
    [InlineData("release/1/hotfix", "ALLOW branch release/*\r\nALLOW tag **", false)] // * stays within a folder; no line matches
    [InlineData("release/1/hotfix", "ALLOW branch release/**", true)]
    [InlineData("feature", "", true)] // empty: every ref, as before the rules
    public void RefRules_DecideWhichBranchesArePushed(string branch, string rules, bool pushed)
    {
        _project.Variables["MIRROR_REF_RULES"] = rules;
        var sha = _project.Commit(branch, "work", from: _project.RepoTip("main"));

        var run = Run(new GitLabPush($"refs/heads/{branch}", sha, "alice"));

        Assert.True(run.Succeeded, run.Log);
        Assert.Equal(pushed ? sha : null, GitHubRef($"refs/heads/{branch}"));
        if (!pushed) Assert.Contains("nothing to do", run.Log);
    }

    [SkippableFact]
    public void RefRules_TagsOnlyFromGitHub_KeepAGitLabTagHere()
    {
        // What bootstrap writes on the GitLab side for "tags only from GitHub, branches both ways".
        _project.Variables["MIRROR_REF_RULES"] = "DENY tag **\nALLOW branch **";
        var commit = _project.RepoTip("main")!;
        Git.Run(_project.WorkTree, "tag", "-a", "-m", "made on GitLab", "v9", commit);
        Git.Run(_project.WorkTree, "push", "--quiet", "origin", "refs/tags/v9");

        var run = Run(new GitLabPush("refs/tags/v9", commit, "alice"));

        Assert.True(run.Succeeded, run.Log);
        Assert.Contains("line 1 of MIRROR_REF_RULES", run.Log);
        Assert.Null(GitHubRef("refs/tags/v9"));
    }

    [SkippableFact]
    public void RefRules_AMalformedLine_FailsAndPushesNothing()
    {
        _project.Variables["MIRROR_REF_RULES"] = "ALLOW commit **";
        var sha = _project.RepoTip("main")!;

        var run = Run(new GitLabPush("refs/heads/main", sha, "alice"));

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("MIRROR_REF_RULES line 1", run.Log);
        Assert.Null(GitHubRef("refs/heads/main"));
    }
}
