namespace GitMirror.Core.Bootstrap;

/// <summary>Visibility of a repository the bootstrap creates.</summary>
public enum MirrorRepositoryVisibility
{
    Private,
    Internal,
    Public,
}

/// <summary>What makes a push mirror at once: the CI templates (default), or webhooks to `gitmirror serve`.</summary>
public enum MirrorBootstrapTrigger
{
    Ci,
    Webhook,
}

/// <summary>How <see cref="MirrorBootstrapper"/> sets pairs up.</summary>
public sealed class MirrorBootstrapOptions
{
    /// <summary>Login of the GitHub mirror bot (GitHub's MIRROR_BOT_USER; the CI loop filter compares pushers with it).</summary>
    public required string GitHubBotUser { get; init; }

    /// <summary>Username of the GitLab mirror bot (GitLab's MIRROR_BOT_USER).</summary>
    public required string GitLabBotUser { get; init; }

    public MirrorRepositoryVisibility Visibility { get; init; } = MirrorRepositoryVisibility.Private;

    /// <summary>Make GitLab's GITHUB_DEPLOY_KEY variable protected: it then reaches only pipelines of protected branches and tags.</summary>
    public bool ProtectVariables { get; init; }

    /// <summary>Replace each CI's deploy key even when one is in place: new key added, secret updated, old key deleted.</summary>
    public bool RotateCredentials { get; init; }

    /// <summary>Ci: secrets, variables and CI files. Webhook: a push webhook on each side to <see cref="ServiceUrl"/>, nothing in CI.</summary>
    public MirrorBootstrapTrigger Trigger { get; init; } = MirrorBootstrapTrigger.Ci;

    /// <summary>Base URL of `gitmirror serve` as the forges reach it (Webhook only); hooks go to /hooks/github and /hooks/gitlab under it.</summary>
    public string? ServiceUrl { get; init; }

    /// <summary>The secret the hooks sign with, the one the service reads (Webhook only).</summary>
    public string? WebhookSecret { get; init; }
}
