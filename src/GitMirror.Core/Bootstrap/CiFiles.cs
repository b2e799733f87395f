using System.Reflection;

namespace GitMirror.Core.Bootstrap;

/// <summary>Where the CI files go in a mirrored repository and what they contain (design.md §6).</summary>
public static class CiFiles
{
    public const string GitHubWorkflowPath = ".github/workflows/gitmirror.yml";
    public const string GitLabJobPath = ".gitlab/gitmirror.gitlab-ci.yml";
    public const string GitLabCiPath = ".gitlab-ci.yml";

    /// <summary>ci-templates/github-mirror.yml, embedded at build time.</summary>
    public static string GitHubWorkflowTemplate => Template("github-mirror.yml");

    /// <summary>ci-templates/gitlab-mirror.yml, embedded at build time.</summary>
    public static string GitLabJobTemplate => Template("gitlab-mirror.yml");

    /// <summary>
    /// The files to write so the repository holds GitMirror's CI setup, given what the default
    /// branch holds now (null = absent): only those that differ, path → new content.
    /// Empty when everything is in place already.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Plan(string? gitHubWorkflow, string? gitLabJob, string? gitLabCi)
    {
        var changes = new Dictionary<string, string>(StringComparer.Ordinal);
        if (gitHubWorkflow != GitHubWorkflowTemplate) changes[GitHubWorkflowPath] = GitHubWorkflowTemplate;
        if (gitLabJob != GitLabJobTemplate) changes[GitLabJobPath] = GitLabJobTemplate;
        var composed = CiFilesComposer.AddInclude(gitLabCi);
        if (composed != gitLabCi) changes[GitLabCiPath] = composed;
        return changes;
    }

    private static string Template(string name)
    {
        // LogicalName set in GitMirror.Core.csproj; the files come from ci-templates/ at the repo root.
        var resource = "GitMirror.CiTemplates." + name;
        using var stream = typeof(CiFiles).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The CI template {name} is not embedded in {typeof(CiFiles).Assembly.GetName().Name}: the build found no ci-templates/{name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
