using System.Text;

namespace GitMirror.Testing;

/// <summary>
/// Two local "forges" (folders of bare repositories standing in for GitHub and GitLab), a cache
/// directory and a repos.yaml naming pairs between them. Disposing deletes everything.
/// </summary>
public sealed class MirrorWorld : IDisposable
{
    private readonly TempDir _root = new("gitmirror-world");
    private readonly List<(string Name, string GitHub, string GitLab, string? Policy)> _pairs = [];

    public MirrorWorld()
    {
        Directory.CreateDirectory(GitHubRoot);
        Directory.CreateDirectory(GitLabRoot);
    }

    public string Root => _root.Path;
    public string GitHubRoot => _root.Combine("github");
    public string GitLabRoot => _root.Combine("gitlab");
    public string CachePath => _root.Combine("cache");
    public string ConfigPath => _root.Combine("repos.yaml");

    /// <summary>Overrides the forge URLs written into repos.yaml (e.g. a smart-HTTP server's base URL).</summary>
    public string? GitHubUrl { get; set; }
    public string? GitLabUrl { get; set; }
    public string GitHubTokenEnv { get; set; } = "GITHUB_TOKEN";
    public string GitLabTokenEnv { get; set; } = "GITLAB_TOKEN";
    public string? DefaultPolicy { get; set; }

    /// <summary>Adds a pair whose sides are bare repositories (created empty) and rewrites repos.yaml.</summary>
    public (RepoBuilder GitHub, RepoBuilder GitLab) AddPair(string name, string? githubPath = null, string? gitlabPath = null, string? policy = null)
    {
        githubPath ??= $"org/{name}";
        gitlabPath ??= $"group/{name}";
        _pairs.Add((name, githubPath, gitlabPath, policy));
        WriteConfig();
        return (new RepoBuilder(GitHubRepo(githubPath)), new RepoBuilder(GitLabRepo(gitlabPath)));
    }

    public string GitHubRepo(string path) => Path.Combine(GitHubRoot, path + ".git");
    public string GitLabRepo(string path) => Path.Combine(GitLabRoot, path + ".git");

    public void WriteConfig()
    {
        var yaml = new StringBuilder();
        yaml.AppendLine("version: 1");
        yaml.AppendLine("github:");
        yaml.AppendLine($"  url: {GitHubUrl ?? GitHubRoot}");
        yaml.AppendLine($"  tokenEnv: {GitHubTokenEnv}");
        yaml.AppendLine("gitlab:");
        yaml.AppendLine($"  url: {GitLabUrl ?? GitLabRoot}");
        yaml.AppendLine($"  tokenEnv: {GitLabTokenEnv}");
        yaml.AppendLine($"cache: {CachePath}");
        if (DefaultPolicy is not null) yaml.AppendLine($"onDivergence: {DefaultPolicy}");
        yaml.AppendLine("repos:");
        foreach (var (name, github, gitlab, policy) in _pairs)
        {
            yaml.AppendLine($"  - github: {github}");
            yaml.AppendLine($"    gitlab: {gitlab}");
            yaml.AppendLine($"    name: {name}");
            if (policy is not null) yaml.AppendLine($"    onDivergence: {policy}");
        }
        File.WriteAllText(ConfigPath, yaml.ToString());
    }

    public void Dispose() => _root.Dispose();
}
