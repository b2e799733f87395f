namespace GitMirror;

/// <summary>
/// The GitHub App GitMirror authenticates as instead of a bot token (repos.yaml <c>github.app</c>).
/// Names only where the private key is; the key itself stays in the environment.
/// </summary>
public sealed class MirrorGitHubApp
{
    /// <summary>The App's id.</summary>
    public required long Id { get; init; }

    /// <summary>The environment variable holding the PEM of the App's private key.</summary>
    public required string PrivateKeyEnv { get; init; }

    /// <summary>The installation to use; null: the installation on each repository's owner.</summary>
    public long? InstallationId { get; init; }

    public override string ToString() => $"GitHub App {Id}";
}
