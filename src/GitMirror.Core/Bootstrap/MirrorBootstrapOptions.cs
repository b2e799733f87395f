namespace GitMirror.Core.Bootstrap;

/// <summary>Visibility of a repository the bootstrap creates.</summary>
public enum MirrorRepositoryVisibility
{
    Private,
    Internal,
    Public,
}

/// <summary>How <see cref="MirrorBootstrapper"/> sets pairs up.</summary>
public sealed class MirrorBootstrapOptions
{
    /// <summary>Login of the GitHub mirror bot (GitHub's MIRROR_BOT_USER; the CI loop filter compares pushers with it).</summary>
    public required string GitHubBotUser { get; init; }

    /// <summary>Username of the GitLab mirror bot (GitLab's MIRROR_BOT_USER).</summary>
    public required string GitLabBotUser { get; init; }

    public MirrorRepositoryVisibility Visibility { get; init; } = MirrorRepositoryVisibility.Private;

    /// <summary>Make GitLab's GITHUB_TOKEN variable protected: it then reaches only pipelines of protected branches and tags.</summary>
    public bool ProtectVariables { get; init; }
}
