namespace GitMirror.CiTemplates.Tests;

/// <summary>The templates pass the real validators, and the validators do reject a broken file.</summary>
public sealed class ValidatorTests
{
    private static Proc.Result ActionValidator(string workflow) =>
        Proc.Run(Tools.ActionValidator(), [workflow], Path.GetDirectoryName(workflow)!, new Dictionary<string, string>());

    [SkippableFact]
    public void GitHubWorkflow_PassesActionValidator()
    {
        var result = ActionValidator(Tools.GitHubWorkflow);
        Assert.True(result.ExitCode == 0, result.Output);
    }

    [SkippableFact]
    public void ActionValidator_RejectsABrokenWorkflow()
    {
        using var dir = new GitMirror.Testing.TempDir("gitmirror-ci");
        var broken = dir.Combine("broken.yml");
        // runs-on misspelled: a workflow GitHub refuses.
        File.WriteAllText(broken, File.ReadAllText(Tools.GitHubWorkflow).Replace("runs-on:", "run-on:"));
        Assert.NotEqual(0, ActionValidator(broken).ExitCode);
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void GitLabJob_PassesGitLabCiLocalSchemaValidation_AndABrokenOneDoesNot(bool broken)
    {
        var gcl = Tools.GitLabCiLocal();
        using var dir = new GitMirror.Testing.TempDir("gitmirror-ci");
        var project = dir.Combine("p");
        Directory.CreateDirectory(Path.Combine(project, ".gitlab"));
        var job = File.ReadAllText(Tools.GitLabJob);
        // `when: sometimes` is not a value GitLab accepts.
        if (broken) job = job.Replace("      when: never", "      when: sometimes");
        File.WriteAllText(Path.Combine(project, ".gitlab", "gitmirror.gitlab-ci.yml"), job);
        File.WriteAllText(Path.Combine(project, ".gitlab-ci.yml"), "include:\n  - local: .gitlab/gitmirror.gitlab-ci.yml\n");
        // gitlab-ci-local reads the project as git sees it: local includes must be committed.
        GitMirror.Testing.Git.Run(project, "init", "--quiet", "--initial-branch=main");
        GitMirror.Testing.Git.Run(project, "add", "--all");
        GitMirror.Testing.Git.Run(project, "commit", "--quiet", "-m", "ci");

        var result = Proc.Run(gcl, ["--preview", "--no-color"], project, new Dictionary<string, string> { ["HOME"] = dir.Path });

        if (broken)
        {
            Assert.NotEqual(0, result.ExitCode);
        }
        else
        {
            Assert.True(result.ExitCode == 0, result.Output);
            Assert.Contains("gitmirror:", result.Output);
        }
    }
}
