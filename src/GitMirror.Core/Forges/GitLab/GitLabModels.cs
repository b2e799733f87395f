using System.Text.Json.Serialization;

namespace GitMirror.Core.Forges.GitLab;

/// <summary>A user or group namespace (<c>GET /namespaces/:id</c>).</summary>
public sealed record GitLabNamespace(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("full_path")] string FullPath);

public sealed record GitLabProject(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("path_with_namespace")] string PathWithNamespace,
    [property: JsonPropertyName("visibility")] string? Visibility,
    [property: JsonPropertyName("default_branch")] string? DefaultBranch,
    [property: JsonPropertyName("ssh_url_to_repo")] string? SshUrl = null);

/// <summary>A project deploy key (<c>GET /projects/:id/deploy_keys</c>).</summary>
public sealed record GitLabDeployKey(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("title")] string? Title,
    [property: JsonPropertyName("key")] string? Key,
    [property: JsonPropertyName("can_push")] bool CanPush);

public sealed record GitLabUser(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("username")] string Username);

/// <summary>The token making the call (<c>GET /personal_access_tokens/self</c>).</summary>
public sealed record GitLabTokenInfo(
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("scopes")] string[] Scopes,
    [property: JsonPropertyName("expires_at")] string? ExpiresAt,
    [property: JsonPropertyName("active")] bool? Active = null,
    [property: JsonPropertyName("revoked")] bool? Revoked = null);

/// <summary>A project webhook (<c>GET /projects/:id/hooks</c>); GitLab never returns its token.</summary>
public sealed record GitLabHook(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("push_events")] bool PushEvents,
    [property: JsonPropertyName("tag_push_events")] bool TagPushEvents);

/// <summary>A project CI/CD variable.</summary>
public sealed record GitLabVariable(
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("value")] string Value,
    [property: JsonPropertyName("masked")] bool Masked = false,
    [property: JsonPropertyName("protected")] bool Protected = false,
    [property: JsonPropertyName("raw")] bool Raw = true,
    [property: JsonPropertyName("hidden")] bool Hidden = false)
{
    /// <summary>Value and flags are what we want (the value is compared exactly).</summary>
    public bool SameAs(GitLabVariable other) =>
        Key == other.Key && Value == other.Value && Masked == other.Masked && Protected == other.Protected && Raw == other.Raw
        && Hidden == other.Hidden;

    // Records print their members: keep a masked value out of any accidental ToString().
    public override string ToString() => $"{Key} (masked={Masked}, hidden={Hidden}, protected={Protected}, raw={Raw})";
}

/// <summary>GitLab visibility levels as the API spells them.</summary>
public static class GitLabVisibility
{
    public const string Private = "private";
    public const string Internal = "internal";
    public const string Public = "public";
}

/// <summary>A project issue (<c>GET /projects/:id/issues</c>): <c>iid</c> is its number within the project.</summary>
public sealed record GitLabIssue(
    [property: JsonPropertyName("iid")] long Iid,
    [property: JsonPropertyName("title")] string? Title,
    [property: JsonPropertyName("state")] string? State);
