using GitMirror.Testing;

namespace GitMirror.PowerShell.Tests;

/// <summary>A repos.yaml with two pairs over local bare repositories, for tests that only read config.</summary>
public sealed class SampleConfig : IDisposable
{
    private readonly TempDir _dir = new("gitmirror-ps");

    public SampleConfig()
    {
        Directory.CreateDirectory(_dir.Combine("github"));
        Directory.CreateDirectory(_dir.Combine("gitlab"));
        File.WriteAllText(Path, """
            version: 1
            github:
              url: ./github
            gitlab:
              url: ./gitlab
            cache: ./cache
            repos:
              - github: myorg/repo1
                gitlab: myorg/repo1
              - github: myorg/repo2
                gitlab: team/sub/repo2
                name: my repo2
                onDivergence: skip-ref
            """);
    }

    public string Folder => _dir.Path;

    public string Path => _dir.Combine("repos.yaml");

    public void Dispose() => _dir.Dispose();
}
