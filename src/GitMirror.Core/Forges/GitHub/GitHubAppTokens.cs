using System.Security.Cryptography;

namespace GitMirror.Core.Forges.GitHub;

/// <summary>An installation token held in memory, with when it was received.</summary>
public sealed record GitHubInstallationToken(string Token, DateTimeOffset ExpiresAt, DateTimeOffset ReceivedAt, long InstallationId, IReadOnlyList<string> Permissions)
{
    /// <summary>The longest a token is used before its expiry is near enough to renew it.</summary>
    public static TimeSpan RenewBefore { get; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Whether it still serves a new operation: five minutes before its expiry it is renewed, so an
    /// operation never starts with a token about to lapse (a short-lived token: in its last quarter).
    /// </summary>
    public bool IsFresh(DateTimeOffset now)
    {
        var lifetime = ExpiresAt - ReceivedAt;
        var margin = lifetime / 4 < RenewBefore ? lifetime / 4 : RenewBefore;
        return now < ExpiresAt - margin;
    }

    public override string ToString() => $"GitHubInstallationToken {{ Token = ***, ExpiresAt = {ExpiresAt:O}, InstallationId = {InstallationId} }}";
}

/// <summary>
/// The installation tokens of GitHub Apps, per process: asked for with the App's JWT when first
/// needed, kept in memory only (never on disk), shared by every operation and renewed before they
/// expire, so a service running for weeks always has a valid one. The private key is read from its
/// environment variable each time a JWT is signed and never kept.
/// </summary>
public sealed class GitHubAppTokens
{
    /// <summary>The one cache of the process (cmdlets of a session, the service).</summary>
    public static GitHubAppTokens Shared { get; } = new();

    private readonly object _lock = new();
    private readonly Dictionary<string, Task<GitHubInstallationToken>> _tokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Task<long>> _installations = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Task<GitHubAppIdentity>> _apps = new(StringComparer.Ordinal);

    public Func<DateTimeOffset> Now { get; init; } = () => DateTimeOffset.UtcNow;

    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    /// <summary>Sends the requests (tests); it must not follow redirects itself.</summary>
    public HttpMessageHandler? Handler { get; init; }

    /// <summary>Every installation token this process received, for redaction (still valid or not).</summary>
    public IReadOnlyList<string> IssuedTokens
    {
        get
        {
            lock (_lock)
            {
                return [.. _tokens.Values.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result.Token)];
            }
        }
    }

    /// <summary>
    /// A fresh installation token for repositories of <paramref name="owner"/> (the App's
    /// <c>installationId</c> when the config names one). Concurrent callers share one exchange.
    /// </summary>
    public async Task<GitHubInstallationToken> TokenAsync(string apiBase, MirrorGitHubApp app, string owner, CancellationToken ct)
    {
        var installation = app.InstallationId ?? await InstallationAsync(apiBase, app, owner, ct).ConfigureAwait(false);
        var key = $"{apiBase}\n{app.Id}\n{installation}";
        Task<GitHubInstallationToken> task;
        lock (_lock)
        {
            if (!_tokens.TryGetValue(key, out task!) || task.IsFaulted || task.IsCanceled
                || task.IsCompletedSuccessfully && !task.Result.IsFresh(Now()))
            {
                // Not bound to one caller's cancellation: other callers may be waiting for it.
                _tokens[key] = task = ExchangeAsync(apiBase, app, installation, owner);
            }
        }
        return await task.WaitAsync(ct).ConfigureAwait(false);
    }

    /// <summary><see cref="TokenAsync"/> for callers that cannot await (a libgit2 credential callback).</summary>
    public GitHubInstallationToken Token(string apiBase, MirrorGitHubApp app, string owner, CancellationToken ct) =>
        Task.Run(() => TokenAsync(apiBase, app, owner, ct), ct).GetAwaiter().GetResult();

    /// <summary>The App itself (<c>GET /app</c>), whose pushes GitHub attributes to <c>{slug}[bot]</c>.</summary>
    public Task<GitHubAppIdentity> AppAsync(string apiBase, MirrorGitHubApp app, CancellationToken ct)
    {
        var key = $"{apiBase}\n{app.Id}";
        Task<GitHubAppIdentity> task;
        lock (_lock)
        {
            if (!_apps.TryGetValue(key, out task!) || task.IsFaulted || task.IsCanceled)
            {
                _apps[key] = task = AppClient(apiBase, app).GetAppAsync(CancellationToken.None);
            }
        }
        return task.WaitAsync(ct);
    }

    /// <summary>Forgets every token (tests; a key rotated while running is picked up at the next renewal anyway).</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _tokens.Clear();
            _installations.Clear();
            _apps.Clear();
        }
    }

    private Task<long> InstallationAsync(string apiBase, MirrorGitHubApp app, string owner, CancellationToken ct)
    {
        var key = $"{apiBase}\n{app.Id}\n{owner.ToLowerInvariant()}";
        Task<long> task;
        lock (_lock)
        {
            if (!_installations.TryGetValue(key, out task!) || task.IsFaulted || task.IsCanceled)
            {
                _installations[key] = task = FindInstallationAsync(apiBase, app, owner);
            }
        }
        return task.WaitAsync(ct);
    }

    private async Task<long> FindInstallationAsync(string apiBase, MirrorGitHubApp app, string owner)
    {
        var client = AppClient(apiBase, app);
        if (await client.FindInstallationAsync(owner, CancellationToken.None).ConfigureAwait(false) is { } id) return id;
        var slug = await client.GetAppAsync(CancellationToken.None).ConfigureAwait(false) is { } identity ? identity.Slug : null;
        throw new ForgeApiException(MirrorSide.GitHub, ForgeFailureKind.Permission,
            $"GitHub App {app.Id} is not installed on the account '{owner}': install it there (on GitHub: the App's page"
            + (slug is null ? "" : $" https://github.com/apps/{slug}") + ", 'Install', choose '" + owner
            + "' and the mirrored repositories), or set github.app.installationId to an installation that covers them");
    }

    private async Task<GitHubInstallationToken> ExchangeAsync(string apiBase, MirrorGitHubApp app, long installation, string owner)
    {
        GitHubInstallationGrant grant;
        try
        {
            grant = await AppClient(apiBase, app).CreateInstallationTokenAsync(installation, CancellationToken.None).ConfigureAwait(false);
        }
        catch (ForgeApiException e) when (e.Kind == ForgeFailureKind.NotFound)
        {
            throw new ForgeApiException(MirrorSide.GitHub, ForgeFailureKind.Permission,
                $"GitHub App {app.Id} has no installation {installation} (used for '{owner}'): install the App on that account "
                + "(the App's page on GitHub, 'Install'), or correct github.app.installationId", e.StatusCode, e.ServerMessage, inner: e);
        }
        return new GitHubInstallationToken(grant.Token, grant.ExpiresAt, Now(), installation, grant.Permissions);
    }

    /// <summary>A client that authenticates as the App itself: a new JWT, signed with the key from the environment, for each request.</summary>
    private GitHubForge AppClient(string apiBase, MirrorGitHubApp app) => GitHubForge.WithBearer(apiBase, () =>
    {
        using RSA key = GitHubAppJwt.LoadKey(app.PrivateKeyEnv, Environment);
        return Task.FromResult(GitHubAppJwt.Create(app.Id, key, Now()));
    }, Handler);
}
