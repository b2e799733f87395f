namespace GitMirror;

/// <summary>One of the two forges of a mirror pair.</summary>
public enum MirrorSide
{
    GitHub,
    GitLab,
}

/// <summary>What kind of ref is mirrored: only branches and tags are.</summary>
public enum MirrorRefKind
{
    Branch,
    Tag,
}

/// <summary>
/// Which way a ref is mirrored, by the first repos.yaml <c>refs:</c> rule that matches it
/// (YAML <c>both</c>, <c>github-to-gitlab</c>, <c>gitlab-to-github</c>).
/// </summary>
public enum MirrorDirection
{
    Both,
    GitHubToGitLab,
    GitLabToGitHub,
}

/// <summary>How a ref compares between the two sides of a pair.</summary>
public enum MirrorRefStatus
{
    InSync,
    GitHubOnly,
    GitLabOnly,
    GitHubAhead,
    GitLabAhead,
    Diverged,
    /// <summary>
    /// The ref is on one side only and cannot be created on the other, because a ref there is in its
    /// way: <c>x</c> vs <c>x/y</c> (a ref cannot also be a folder of refs), or <c>Foo</c> vs <c>foo</c>
    /// (a case-insensitive server or client holds one of them only). Diverged is true for it too.
    /// </summary>
    Conflict,
}

/// <summary>Outcome of syncing one pair.</summary>
public enum MirrorSyncStatus
{
    /// <summary>Both sides already held the same refs; nothing was pushed.</summary>
    UpToDate,
    /// <summary>Refs were pushed and every push succeeded.</summary>
    Synced,
    /// <summary>A ref diverged under the halt-pair policy: nothing was pushed.</summary>
    Halted,
    /// <summary>The pair could not be synced, or a push was rejected.</summary>
    Failed,
    /// <summary>Another run held the pair's lock; not an error.</summary>
    Skipped,
}

/// <summary>What a sync does when a ref diverged (YAML <c>halt-pair</c>, <c>skip-ref</c>).</summary>
public enum MirrorDivergencePolicy
{
    HaltPair,
    SkipRef,
}

/// <summary>The steps <c>Initialize-MirrorBootstrap</c> performs for a pair.</summary>
public enum MirrorBootstrapStepKind
{
    Repository,
    Secret,
    Variables,
    CiFiles,

    /// <summary>The push webhook to `gitmirror serve` (<c>-Trigger Webhook</c>).</summary>
    Webhook,

    /// <summary>
    /// The write deploy key (SSH) registered on one side for the other side's CI: it can push to
    /// that one repository and nothing else. Side = where the key is registered.
    /// </summary>
    DeployKey,
}

/// <summary>Where a bootstrap step acted.</summary>
public enum MirrorBootstrapSide
{
    GitHub,
    GitLab,
    Both,
}

/// <summary>What a bootstrap step did.</summary>
public enum MirrorBootstrapAction
{
    Created,
    Updated,
    Unchanged,
    Skipped,
    Failed,
}

/// <summary>What a forge credential is: a token of an account, a GitHub App's installation token, or something else (OAuth, CI job token).</summary>
public enum MirrorCredentialKind
{
    PersonalAccessToken,
    GitHubApp,
    Other,
}
