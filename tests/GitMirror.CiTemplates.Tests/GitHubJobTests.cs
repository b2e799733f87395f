using GitMirror.Testing;

namespace GitMirror.CiTemplates.Tests;

/// <summary>The GitHub workflow's job, run as a runner would run it, pushing to the local "GitLab".</summary>
public sealed class GitHubJobTests : IDisposable
{
    private const string Bot = "gitmirror-bot";
    private readonly Forges _forges = new();
    private readonly RepoBuilder _github;
    private readonly GitHubRunner _runner;
    private int _runs;

    public GitHubJobTests()
    {
        _github = new RepoBuilder(_forges.GitHubBare);
        _runner = new GitHubRunner(Tools.GitHubWorkflow)
        {
            OriginUrl = $"{_forges.Server.BaseUrl}/github/acme/app.git",
            ActionsToken = _forges.ActionsToken,
            Vars =
            {
                ["GITLAB_URL"] = $"{_forges.Server.BaseUrl}/gitlab/",
                ["GITLAB_REPO"] = "acme/app",
                ["GITLAB_SSH_URL"] = _forges.GitLabSshUrl,
                ["MIRROR_SSH_KNOWN_HOSTS"] = _forges.Ssh.KnownHostsLine,
                ["MIRROR_BOT_USER"] = Bot,
            },
            Secrets = { ["GITLAB_DEPLOY_KEY"] = _forges.GitLabDeployKey.SecretValue },
        };
    }

    public void Dispose() => _forges.Dispose();

    private JobRun Run(GitHubPush push)
    {
        var run = _runner.Run(push, _forges.Scratch($"workspace-{++_runs}"));
        _forges.AssertNoSecretLeaked(run.Log);
        return run;
    }

    private string? GitLabRef(string name) => Forges.RefOrNull(_forges.GitLabBare, name);

    [SkippableFact]
    public void NewBranchThenFastForward_ArriveOnGitLab()
    {
        var c1 = _github.Commit("feature/x");
        var first = Run(new GitHubPush("refs/heads/feature/x", c1, "alice"));
        Assert.True(first.Succeeded, first.Log);
        Assert.Equal(c1, GitLabRef("refs/heads/feature/x"));

        var c2 = _github.Commits(2, "feature/x");
        var second = Run(new GitHubPush("refs/heads/feature/x", c2, "alice"));
        Assert.True(second.Succeeded, second.Log);
        Assert.Equal(c2, GitLabRef("refs/heads/feature/x"));
        // The checkout's header carried the token from the first request on: git never had to retry unauthenticated.
        Assert.Equal(0, _forges.Server.AuthFailures);
        // The pushes went over SSH with the deploy key, to its one repository.
        Assert.Contains("git-receive-pack gitlab/acme/app.git allowed", _forges.Ssh.Accesses);
    }

    [SkippableFact]
    public void CommitUsingLfs_IsLeftToTheDaemon_WhichCopiesItsObjectsFirst()
    {
        var pointer = LfsFiles.Pointer(new string('a', 64), 12);
        var commit = LfsFiles.Commit(_forges.GitHubBare, "media", new Dictionary<string, string> { ["a.bin"] = pointer });

        var run = Run(new GitHubPush("refs/heads/media", commit, "alice"));

        Assert.True(run.Succeeded, run.Log);
        Assert.Contains("uses Git LFS", run.Log);
        Assert.Null(GitLabRef("refs/heads/media")); // never the pointers without their objects
    }

    [SkippableFact]
    public void AnnotatedTag_ArrivesAsTheSameTagObject()
    {
        var commit = _github.Commit();
        var tagObject = _github.Tag("v1.0.0", commit, "release 1.0.0");

        var run = Run(new GitHubPush("refs/tags/v1.0.0", commit, "alice"));

        Assert.True(run.Succeeded, run.Log);
        Assert.Equal(tagObject, GitLabRef("refs/tags/v1.0.0"));
        Assert.Equal("tag", Git.Run(_forges.GitLabBare, "cat-file", "-t", "refs/tags/v1.0.0"));
    }

    [SkippableFact]
    public void LightweightTag_StaysLightweight()
    {
        var commit = _github.Commit();
        _github.Tag("light", commit);

        var run = Run(new GitHubPush("refs/tags/light", commit, "alice"));

        Assert.True(run.Succeeded, run.Log);
        Assert.Equal(commit, GitLabRef("refs/tags/light"));
    }

    [SkippableTheory]
    [InlineData("gitmirror-bot")]
    [InlineData("GitMirror-Bot")] // GitHub logins and expression comparisons ignore case
    public void PushByTheMirrorBot_IsSkipped(string actor)
    {
        var c1 = _github.Commit();
        var run = Run(new GitHubPush("refs/heads/main", c1, actor));
        Assert.False(run.Ran);
        Assert.Null(GitLabRef("refs/heads/main"));
    }

    [SkippableFact]
    public void BranchDeletion_IsSkipped()
    {
        var c1 = _github.Commit();
        var run = Run(new GitHubPush("refs/heads/main", "0000000000000000000000000000000000000000", "alice", Deleted: true));
        Assert.False(run.Ran);

        // Control: the same user's ordinary push does run, so the skip above is the deletion's doing.
        Assert.True(Run(new GitHubPush("refs/heads/main", c1, "alice")).Succeeded);
    }

    [SkippableFact]
    public void NonFastForward_FailsAndNamesTheDaemon_LeavingGitLabAlone()
    {
        var theirs = new RepoBuilder(_forges.GitLabBare).Commit("main", message: "made on GitLab");
        var ours = _github.Commit("main", message: "made on GitHub");

        var run = Run(new GitHubPush("refs/heads/main", ours, "alice"));

        Assert.True(run.Ran);
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("GitMirror daemon (Sync-MirrorPair) will detect the divergence", run.Log);
        Assert.Equal(theirs, GitLabRef("refs/heads/main"));
    }

    [SkippableFact]
    public void StaleRun_WhenGitLabIsAlreadyAhead_Succeeds()
    {
        var c1 = _github.Commit();
        var c2 = _github.Commit();
        Assert.True(Run(new GitHubPush("refs/heads/main", c2, "alice")).Succeeded);

        var stale = Run(new GitHubPush("refs/heads/main", c1, "alice"));

        Assert.True(stale.Succeeded, stale.Log);
        Assert.Contains("already contains", stale.Log);
        Assert.Equal(c2, GitLabRef("refs/heads/main"));
    }

    [SkippableFact]
    public void BranchNameWithShellSyntax_IsPushedVerbatim_NotRun()
    {
        // A legal branch name that runs commands if a template pastes it into a script.
        const string branch = "x$(touch${IFS}pwned1)\";touch${IFS}pwned2;#";
        Assert.Equal(0, Git.TryRun(_forges.Root, "check-ref-format", "--branch", branch).Code);
        var c1 = _github.Commit(branch);

        var run = Run(new GitHubPush($"refs/heads/{branch}", c1, "alice"));

        Assert.True(run.Succeeded, run.Log);
        Assert.Equal(c1, GitLabRef($"refs/heads/{branch}"));
        Assert.Empty(Directory.EnumerateFiles(_forges.Scratch(""), "pwned*", SearchOption.AllDirectories));
    }

    [SkippableFact]
    public void MissingTargetVariable_FailsNamingIt()
    {
        _runner.Vars.Remove("GITLAB_REPO");
        var c1 = _github.Commit();

        var run = Run(new GitHubPush("refs/heads/main", c1, "alice"));

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("GITLAB_REPO", run.Log);
    }

    private const string Rules = "DENY any dependabot/**\nALLOW branch release/*\nALLOW branch main\n  \r\nALLOW tag v*\nDENY branch **\n";

    [SkippableTheory]
    [InlineData("refs/heads/release/1.0", Rules, true)]
    [InlineData("refs/heads/main", Rules, true)]
    [InlineData("refs/heads/dependabot/npm/lodash", Rules, false)] // the first matching line denies it
    [InlineData("refs/heads/release/1.0/hotfix", Rules, false)] // * stays within a folder; DENY branch ** catches it
    [InlineData("refs/heads/feature", "ALLOW branch main\nALLOW tag **", false)] // no line matches: not pushed
    [InlineData("refs/heads/release/1.0/hotfix", "ALLOW branch release/**", true)] // ** crosses folders
    [InlineData("refs/heads/v1", "ALLOW tag v*", false)] // a tag line does not match a branch
    [InlineData("refs/heads/a.b", "ALLOW branch a.b", true)]
    [InlineData("refs/heads/aXb", "ALLOW branch a.b", false)] // a dot is a dot, not a regular expression's any character
    [InlineData("refs/heads/main", "", true)] // empty: every ref, as before the rules
    [InlineData("refs/heads/main", " \n", true)]
    public void RefRules_DecideWhichBranchesArePushed(string refName, string rules, bool pushed)
    {
        _runner.Vars["MIRROR_REF_RULES"] = rules;
        var sha = _github.Commit(refName["refs/heads/".Length..]);

        var run = Run(new GitHubPush(refName, sha, "alice"));

        Assert.True(run.Succeeded, run.Log);
        Assert.Equal(pushed ? sha : null, GitLabRef(refName));
        if (!pushed) Assert.Contains("nothing to do", run.Log);
    }

    [SkippableFact]
    public void RefRules_ApplyToTagsByKindAndGlob()
    {
        _runner.Vars["MIRROR_REF_RULES"] = Rules;
        var commit = _github.Commit();
        _github.Tag("v2", commit, "release 2");
        _github.Tag("nightly", commit);

        Assert.True(Run(new GitHubPush("refs/tags/v2", commit, "alice")).Succeeded);
        var denied = Run(new GitHubPush("refs/tags/nightly", commit, "alice"));

        Assert.True(denied.Succeeded, denied.Log);
        Assert.Equal("tag", Git.Run(_forges.GitLabBare, "cat-file", "-t", "refs/tags/v2"));
        Assert.Null(GitLabRef("refs/tags/nightly"));
        Assert.Contains("No line of MIRROR_REF_RULES matches refs/tags/nightly", denied.Log);
    }

    [SkippableFact]
    public void RefRules_MatchAHostileBranchNameAsData()
    {
        const string branch = "x$(touch${IFS}pwned1)\";touch${IFS}pwned2;#{a}+|$";
        // The first line would match if "." were a regular expression's any character.
        _runner.Vars["MIRROR_REF_RULES"] = "DENY branch x$(touch${IFS}pwned1).*\nALLOW branch x$(touch${IFS}pwned*";
        Assert.Equal(0, Git.TryRun(_forges.Root, "check-ref-format", "--branch", branch).Code);
        var c1 = _github.Commit(branch);

        var run = Run(new GitHubPush($"refs/heads/{branch}", c1, "alice"));

        Assert.True(run.Succeeded, run.Log);
        Assert.Equal(c1, GitLabRef($"refs/heads/{branch}"));
        Assert.Empty(Directory.EnumerateFiles(_forges.Scratch(""), "pwned*", SearchOption.AllDirectories));
    }

    [SkippableFact]
    public void RefRules_AMalformedLine_FailsAndPushesNothing()
    {
        _runner.Vars["MIRROR_REF_RULES"] = "ALLOW branch main\nPERMIT branch **";
        var c1 = _github.Commit("other");

        var run = Run(new GitHubPush("refs/heads/other", c1, "alice"));

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("MIRROR_REF_RULES line 2", run.Log);
        Assert.Null(GitLabRef("refs/heads/other"));
    }
}
