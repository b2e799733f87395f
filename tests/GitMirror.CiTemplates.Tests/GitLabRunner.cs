using GitMirror.Testing;

namespace GitMirror.CiTemplates.Tests;

/// <summary>A push pipeline as GitLab starts it: who pushed, which ref, which commit.</summary>
internal sealed record GitLabPush(string Ref, string Sha, string User, string Source = "push")
{
    public bool IsTag => Ref.StartsWith("refs/tags/", StringComparison.Ordinal);
    public string RefName => Ref[(IsTag ? "refs/tags/" : "refs/heads/").Length..];
}

/// <summary>
/// Runs the GitLab job with gitlab-ci-local (--force-shell-executor) in a project work tree laid out
/// like a GitLab runner's build directory: full history, the pipeline's commit checked out on a
/// detached HEAD, no local branch, origin the project itself. gitlab-ci-local derives the CI_COMMIT_*
/// variables from the checked-out branch, so they are set here as GitLab would set them.
/// CI/CD variables travel as GCL_VARIABLE_* environment variables, so no token is in any argument.
/// </summary>
internal sealed class GitLabProject
{
    /// <summary>A new project whose main holds the CI configuration as Initialize-MirrorBootstrap installs it.</summary>
    public GitLabProject(string root) : this(root, Path.Combine(root, "origin.git"))
    {
        Git.Run(root, "init", "--quiet", "--bare", "--initial-branch=main", OriginPath);
        Directory.CreateDirectory(Path.Combine(WorkTree, ".gitlab"));
        File.Copy(Tools.GitLabJob, Path.Combine(WorkTree, ".gitlab", "gitmirror.gitlab-ci.yml"));
        File.WriteAllText(Path.Combine(WorkTree, ".gitlab-ci.yml"), "include:\n  - local: .gitlab/gitmirror.gitlab-ci.yml\n");
        Commit("main", "CI configuration");
    }

    /// <summary>The build directory of an existing project (a bare repository), with whatever CI configuration its commits hold.</summary>
    public GitLabProject(string root, string originPath)
    {
        Root = root;
        OriginPath = originPath;
        WorkTree = Path.Combine(root, "build");
        Directory.CreateDirectory(WorkTree);
        Git.Run(WorkTree, "init", "--quiet", "--initial-branch=main");
        Git.Run(WorkTree, "remote", "add", "origin", OriginPath);
        // gitlab-ci-local's own state lives in the work tree; keep it out of the commits (a runner's build dir is not committed from).
        File.AppendAllText(Path.Combine(WorkTree, ".git", "info", "exclude"), ".gitlab-ci-local/\n");
    }

    public string Root { get; }

    public string OriginPath { get; }

    public string WorkTree { get; }

    public Dictionary<string, string> Variables { get; } = [];

    /// <summary>Commits a new file on <paramref name="branch"/> (from <paramref name="from"/> or its tip) and pushes it to origin; returns the sha.</summary>
    public string Commit(string branch, string message, string? from = null)
    {
        var start = from ?? RepoTip(branch);
        if (start is not null)
        {
            // Others (a mirror, bootstrap) may have pushed to origin since this work tree last looked.
            Git.Run(WorkTree, "fetch", "--quiet", "origin", "+refs/heads/*:refs/remotes/origin/*");
            Git.Run(WorkTree, "checkout", "--quiet", "--detach", start);
        }
        File.WriteAllText(Path.Combine(WorkTree, $"{Guid.NewGuid():N}.txt"), message + "\n");
        Git.Run(WorkTree, "add", "--all");
        Git.Run(WorkTree, "commit", "--quiet", "-m", message);
        var sha = Git.Run(WorkTree, "rev-parse", "HEAD");
        Git.Run(WorkTree, "push", "--quiet", "--force", "origin", $"{sha}:refs/heads/{branch}");
        return sha;
    }

    public string? RepoTip(string branch)
    {
        var (code, stdout, _) = Git.TryRun(OriginPath, "rev-parse", "--verify", "--quiet", $"refs/heads/{branch}");
        return code == 0 ? stdout.Trim() : null;
    }

    /// <summary>Runs the pipeline for <paramref name="push"/>; <see cref="JobRun.Ran"/> says whether the job's rules let it run.</summary>
    public JobRun Run(GitLabPush push, bool runnerFetchedTags = true)
    {
        var gcl = Tools.GitLabCiLocal();
        // The runner's checkout: the whole history, then the pipeline's commit on a detached HEAD.
        Git.Run(WorkTree, "fetch", "--quiet", "--prune", "origin", "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*");
        // (A deletion's all-zero sha has nothing to check out: GitLab would not even get here.)
        Git.Run(WorkTree, push.Sha.Trim('0').Length > 0 ? ["checkout", "--quiet", "--force", "--detach", push.Sha] : ["checkout", "--quiet", "--force", "--detach"]);
        foreach (var branch in Git.Run(WorkTree, "for-each-ref", "--format=%(refname:short)", "refs/heads/").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Git.Run(WorkTree, "branch", "--quiet", "-D", branch);
        }
        if (!runnerFetchedTags)
        {
            foreach (var tag in Git.Run(WorkTree, "for-each-ref", "--format=%(refname)", "refs/tags/").Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                Git.Run(WorkTree, "update-ref", "-d", tag);
            }
        }

        var predefined = new Dictionary<string, string>
        {
            ["CI_PIPELINE_SOURCE"] = push.Source,
            ["CI_COMMIT_SHA"] = push.Sha,
            ["CI_COMMIT_REF_NAME"] = push.RefName,
            ["GITLAB_USER_LOGIN"] = push.User,
        };
        if (push.IsTag) predefined["CI_COMMIT_TAG"] = push.RefName;
        else predefined["CI_COMMIT_BRANCH"] = push.RefName;

        var env = new Dictionary<string, string>
        {
            ["HOME"] = Path.Combine(Root, "home"),
            ["GCL_IGNORE_PREDEFINED_VARS"] = string.Join(',', predefined.Keys),
        };
        Directory.CreateDirectory(env["HOME"]);
        foreach (var (k, v) in predefined.Concat(Variables)) env["GCL_VARIABLE_" + k] = v;

        // Schema validation has its own test (ValidatorTests); skipping it here saves ~0.7 s a run.
        List<string> args = ["--force-shell-executor", "--no-color", "--no-json-schema-validation"];
        // A tag pipeline has no CI_COMMIT_BRANCH; gitlab-ci-local would set it from HEAD.
        if (push.IsTag) args.AddRange(["--unset-variable", "CI_COMMIT_BRANCH"]);
        var result = Proc.Run(gcl, args, WorkTree, env);
        var ran = result.Output.Contains("gitmirror starting", StringComparison.Ordinal);
        return new JobRun(ran, result.ExitCode, result.Output);
    }
}
