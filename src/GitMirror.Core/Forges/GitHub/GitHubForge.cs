using System.Net;
using System.Text;
using GitMirror.Core.Unattended;
using Octokit;
using Octokit.Internal;

namespace GitMirror.Core.Forges.GitHub;

/// <summary>The GitHub account that owns a token, and the classic scopes it reports.</summary>
/// <param name="Scopes">From X-OAuth-Scopes; null for fine-grained tokens, which report none.</param>
public sealed record GitHubIdentity(string Login, IReadOnlyList<string>? Scopes);

/// <summary>What the answer to <c>GET /user</c> says about the token that asked.</summary>
/// <param name="Scopes">From X-OAuth-Scopes; null for fine-grained tokens, which report none.</param>
/// <param name="ExpiresAt">From GitHub-Authentication-Token-Expiration; null when the token never expires.</param>
public sealed record GitHubTokenFacts(string Login, IReadOnlyList<string>? Scopes, DateTimeOffset? ExpiresAt);

/// <summary>A GitHub App as <c>GET /app</c> describes it: its pushes are attributed to <c>{Slug}[bot]</c>.</summary>
public sealed record GitHubAppIdentity(long Id, string Slug, string? Name)
{
    public string BotUser => $"{Slug}[bot]";
}

/// <summary>An installation token and when it expires; <see cref="ToString"/> never shows the token.</summary>
public sealed record GitHubInstallationGrant(string Token, DateTimeOffset ExpiresAt, IReadOnlyList<string> Permissions)
{
    public override string ToString() => $"GitHubInstallationGrant {{ Token = ***, ExpiresAt = {ExpiresAt:O} }}";
}

public enum GitHubAccountKind
{
    User,
    Organization,
}

/// <summary>A webhook as either forge lists it (the secret is never returned).</summary>
public sealed record ForgeHook(long Id, string Url, bool Active, IReadOnlyList<string> Events);

public sealed record GitHubRepository(string FullName, string Visibility, string? DefaultBranch, string? SshUrl = null);

/// <summary>A deploy key as either forge lists it; <paramref name="CanPush"/> is GitHub's !read_only, GitLab's can_push.</summary>
public sealed record ForgeDeployKey(long Id, string Title, string Key, bool CanPush);

/// <summary>What a write did: GitHub answers 201 for a new secret and 204 for a replaced one.</summary>
public enum ForgeWriteOutcome
{
    Created,
    Updated,
}

/// <summary>
/// A thin wrapper over Octokit: GitMirror's own types in, GitMirror's own types and
/// <see cref="ForgeApiException"/> out, so no Octokit type leaks to the cmdlets (design.md §1).
/// </summary>
public sealed class GitHubForge
{
    private const string ApiVersion = "2022-11-28";
    private readonly GitHubClient _client;
    private volatile string _token = "";
    private readonly Func<Task<string>> _tokenSource;
    private readonly Lazy<HttpClient> _plain;

    /// <param name="handler">Sends the requests (tests); it must not follow redirects itself.</param>
    public GitHubForge(string apiBase, string token, HttpMessageHandler? handler = null)
        : this(apiBase, Fixed(token), AuthenticationType.Oauth, handler)
    {
    }

    /// <summary>
    /// A client whose token is asked for before every request (a GitHub App's installation token,
    /// renewed as it nears its expiry, or the App's own JWT), sent as a bearer token.
    /// </summary>
    public static GitHubForge WithBearer(string apiBase, Func<Task<string>> token, HttpMessageHandler? handler = null) =>
        new(apiBase, token, AuthenticationType.Bearer, handler);

    private GitHubForge(string apiBase, Func<Task<string>> token, AuthenticationType scheme, HttpMessageHandler? handler)
    {
        var baseUri = OctokitBase(apiBase);
        _tokenSource = token;
        // Octokit follows redirects itself and drops Authorization only when the host changes (not for
        // another port or an https → http downgrade): the guard below refuses every request, first or
        // redirected, that is not for the configured origin.
        var http = new HttpClientAdapter(() => new ApiVersionHandler(
            new OriginBoundHandler(MirrorSide.GitHub, baseUri, static _ => { }, handler)));
        var connection = new Connection(new ProductHeaderValue("GitMirror"), baseUri,
            new TokenStore(this, token, scheme), http, new SimpleJsonSerializer());
        _client = new GitHubClient(connection);
        // Octokit cannot send If-None-Match or return a 304: listings use a plain client on the same origin guard.
        _plain = new Lazy<HttpClient>(() => new HttpClient(new ApiVersionHandler(new OriginBoundHandler(MirrorSide.GitHub, baseUri,
            static _ => { }, handler)), disposeHandler: handler is null)
        {
            BaseAddress = baseUri,
            Timeout = TimeSpan.FromSeconds(100),
            DefaultRequestHeaders = { { "User-Agent", "GitMirror" }, { "Accept", "application/vnd.github+json" } },
        });
    }

    /// <summary>The API base every request goes to (with a trailing slash).</summary>
    public Uri ApiBase => _client.Connection.BaseAddress;

    /// <summary>
    /// One GET below the API base, conditional when <paramref name="etag"/> is given, answered as the
    /// server answered it (a 304 or an error included; the caller reads and disposes it). For the
    /// paginated, cached organisation listings.
    /// </summary>
    public async Task<HttpResponseMessage> GetConditionalAsync(string relativeUrl, string? etag, CancellationToken ct)
    {
        // The current token for each request, as Octokit's requests get it: an App's is renewed.
        var current = await _tokenSource().ConfigureAwait(false);
        _token = current;
        using var request = new HttpRequestMessage(HttpMethod.Get, relativeUrl);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + current);
        if (etag is not null) request.Headers.TryAddWithoutValidation("If-None-Match", etag);
        return await _plain.Value.SendAsync(request, ct).ConfigureAwait(false);
    }

    private static Func<Task<string>> Fixed(string token)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        var answer = Task.FromResult(token);
        return () => answer;
    }

    /// <summary>Hands Octokit the current token for each request, and remembers it so errors can be scrubbed of it.</summary>
    private sealed class TokenStore(GitHubForge forge, Func<Task<string>> token, AuthenticationType scheme) : ICredentialStore
    {
        public async Task<Credentials> GetCredentials()
        {
            var current = await token().ConfigureAwait(false);
            forge._token = current;
            return new Credentials(current, scheme);
        }
    }

    /// <summary>
    /// The base for Octokit's connection: the configured API URL itself (https://api.github.com,
    /// or Enterprise's https://HOST/api/v3), with a trailing slash so relative paths land below it.
    /// GitHubClient's own constructors would rewrite any non-github.com base to HOST/api/v3/ and
    /// drop other prefixes; building the Connection ourselves keeps the configured URL exact.
    /// </summary>
    public static Uri OctokitBase(string apiBase) => new(apiBase.TrimEnd('/') + "/", UriKind.Absolute);

    public Task<GitHubIdentity> GetIdentityAsync(CancellationToken ct) => Call("GET /user", async () =>
    {
        var user = await _client.User.Current().ConfigureAwait(false);
        var info = _client.GetLastApiInfo();
        // Fine-grained tokens send no X-OAuth-Scopes header at all; Octokit then reports an empty list.
        IReadOnlyList<string>? scopes = info?.OauthScopes is { Count: > 0 } s ? [.. s] : null;
        return new GitHubIdentity(user.Login, scopes);
    }, ct);

    /// <summary>
    /// What GitHub says about the token in the answer to <c>GET /user</c>: its owner, classic scopes
    /// (X-OAuth-Scopes; null for fine-grained tokens) and expiry (GitHub-Authentication-Token-Expiration;
    /// null when it never expires).
    /// </summary>
    public Task<GitHubTokenFacts> GetTokenFactsAsync(CancellationToken ct) => Call("GET /user", async () =>
    {
        var response = await _client.Connection.Get<User>(new Uri("user", UriKind.Relative), new Dictionary<string, string>()).ConfigureAwait(false);
        var headers = response.HttpResponse.Headers;
        string? Header(string name) => headers.FirstOrDefault(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;
        IReadOnlyList<string>? scopes = Header("X-OAuth-Scopes") is { } list
            ? [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)]
            : null;
        return new GitHubTokenFacts(response.Body.Login, scopes, ParseExpiration(Header("GitHub-Authentication-Token-Expiration")));
    }, ct);

    /// <summary>GitHub writes the expiry as "2026-03-01 12:00:00 UTC" (older answers: "… +0000").</summary>
    internal static DateTimeOffset? ParseExpiration(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        var text = value.Trim();
        if (text.EndsWith(" UTC", StringComparison.OrdinalIgnoreCase)) text = text[..^4] + " +00:00";
        return DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at)
            ? at.ToUniversalTime()
            : null;
    }

    /// <summary>The App this client's JWT belongs to (<c>GET /app</c>).</summary>
    public Task<GitHubAppIdentity> GetAppAsync(CancellationToken ct) => Call("GET /app", async () =>
    {
        var app = await _client.GitHubApps.GetCurrent().ConfigureAwait(false);
        return new GitHubAppIdentity(app.Id, app.Slug ?? app.Name, app.Name);
    }, ct);

    /// <summary>
    /// The App's installation on an organization's or a user's account (<c>GET /orgs/{org}/installation</c>,
    /// then <c>GET /users/{user}/installation</c>); null when the App is installed on neither.
    /// </summary>
    public Task<long?> FindInstallationAsync(string owner, CancellationToken ct) => Call($"GET /orgs/{owner}/installation", async () =>
    {
        try
        {
            return (long?)(await _client.GitHubApps.GetOrganizationInstallationForCurrent(owner).ConfigureAwait(false)).Id;
        }
        catch (NotFoundException)
        {
        }
        try
        {
            return (long?)(await _client.GitHubApps.GetUserInstallationForCurrent(owner).ConfigureAwait(false)).Id;
        }
        catch (NotFoundException)
        {
            return null;
        }
    }, ct);

    /// <summary>A new installation token (<c>POST /app/installations/{id}/access_tokens</c>): valid for an hour on GitHub.</summary>
    public Task<GitHubInstallationGrant> CreateInstallationTokenAsync(long installationId, CancellationToken ct) =>
        Call($"POST /app/installations/{installationId}/access_tokens", async () =>
        {
            var uri = new Uri($"app/installations/{installationId}/access_tokens", UriKind.Relative);
            var grant = await new ApiConnection(_client.Connection).Post<InstallationTokenJson>(uri, new { }).ConfigureAwait(false);
            if (string.IsNullOrEmpty(grant.Token))
            {
                throw new ForgeApiException(MirrorSide.GitHub, ForgeFailureKind.Server, $"GitHub POST /app/installations/{installationId}/access_tokens: the answer holds no token");
            }
            var permissions = grant.Permissions?.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}:{p.Value}").ToArray() ?? [];
            return new GitHubInstallationGrant(grant.Token, grant.ExpiresAt, permissions);
        }, ct);

    /// <summary>GitHub's installation token JSON (snake_case mapped by Octokit's serializer).</summary>
    private sealed class InstallationTokenJson
    {
        public string? Token { get; set; }
        public DateTimeOffset ExpiresAt { get; set; }
        public Dictionary<string, string>? Permissions { get; set; }
    }

    /// <summary>Whether a name is a user or an organization; null when no such account exists.</summary>
    public Task<GitHubAccountKind?> GetAccountKindAsync(string name, CancellationToken ct) => Call($"GET /users/{name}", async () =>
    {
        try
        {
            var user = await _client.User.Get(name).ConfigureAwait(false);
            return (GitHubAccountKind?)(user.Type == AccountType.Organization ? GitHubAccountKind.Organization : GitHubAccountKind.User);
        }
        catch (NotFoundException)
        {
            return null;
        }
    }, ct);

    public Task<GitHubRepository?> GetRepositoryAsync(string owner, string name, CancellationToken ct) => Call($"GET /repos/{owner}/{name}", async () =>
    {
        try
        {
            return ToModel(await _client.Repository.Get(owner, name).ConfigureAwait(false));
        }
        catch (NotFoundException)
        {
            return null;
        }
    }, ct);

    /// <summary>Creates a repository in an organization, or in the token owner's account when <paramref name="inOrganization"/> is false.</summary>
    /// <param name="visibility">private, internal or public (internal: organizations of an enterprise only).</param>
    public Task<GitHubRepository> CreateRepositoryAsync(string owner, string name, bool inOrganization, string visibility, CancellationToken ct) =>
        Call(inOrganization ? $"POST /orgs/{owner}/repos" : "POST /user/repos", async () =>
        {
            var request = new NewRepository(name)
            {
                Private = visibility != "public",
                Visibility = visibility switch
                {
                    "public" => RepositoryVisibility.Public,
                    "internal" => RepositoryVisibility.Internal,
                    _ => RepositoryVisibility.Private,
                },
            };
            var created = inOrganization
                ? await _client.Repository.Create(owner, request).ConfigureAwait(false)
                : await _client.Repository.Create(request).ConfigureAwait(false);
            return ToModel(created);
        }, ct);

    /// <summary>Puts an Actions secret, sealed with the repository's public key; says whether it was new.</summary>
    public Task<ForgeWriteOutcome> PutActionsSecretAsync(string owner, string repo, string secretName, string value, CancellationToken ct) =>
        Call($"PUT /repos/{owner}/{repo}/actions/secrets/{secretName}", async () =>
        {
            Report.ProcessSecrets.Register(value);
            var key = await _client.Repository.Actions.Secrets.GetPublicKey(owner, repo).ConfigureAwait(false);
            var sealedValue = Sodium.SealedPublicKeyBox.Create(Encoding.UTF8.GetBytes(value), Convert.FromBase64String(key.Key));
            var uri = new Uri($"repos/{owner}/{repo}/actions/secrets/{secretName}", UriKind.Relative);
            // The raw connection, because only the status tells created (201) from updated (204).
            var status = await _client.Connection.Put(uri, new { encrypted_value = Convert.ToBase64String(sealedValue), key_id = key.KeyId })
                .ConfigureAwait(false);
            return status == HttpStatusCode.Created ? ForgeWriteOutcome.Created : ForgeWriteOutcome.Updated;
        }, ct);

    /// <summary>The value of an Actions variable; null when it does not exist.</summary>
    public Task<string?> GetActionsVariableAsync(string owner, string repo, string name, CancellationToken ct) =>
        Call($"GET /repos/{owner}/{repo}/actions/variables/{name}", async () =>
        {
            try
            {
                return (await _client.Repository.Actions.Variables.Get(owner, repo, name).ConfigureAwait(false)).Value;
            }
            catch (NotFoundException)
            {
                return null;
            }
        }, ct);

    public Task CreateActionsVariableAsync(string owner, string repo, string name, string value, CancellationToken ct) =>
        Call($"POST /repos/{owner}/{repo}/actions/variables", async () =>
        {
            Report.ProcessSecrets.Register(value);
            return (object)await _client.Repository.Actions.Variables.Create(owner, repo, new Variable(name, value)).ConfigureAwait(false);
        }, ct);

    public Task UpdateActionsVariableAsync(string owner, string repo, string name, string value, CancellationToken ct) =>
        Call($"PATCH /repos/{owner}/{repo}/actions/variables/{name}", async () =>
        {
            Report.ProcessSecrets.Register(value);
            return (object)await _client.Repository.Actions.Variables.Update(owner, repo, new Variable(name, value)).ConfigureAwait(false);
        }, ct);

    /// <summary>Whether an Actions secret exists (its value is never readable).</summary>
    public Task<bool> ActionsSecretExistsAsync(string owner, string repo, string secretName, CancellationToken ct) =>
        Call($"GET /repos/{owner}/{repo}/actions/secrets/{secretName}", async () =>
        {
            try
            {
                await _client.Repository.Actions.Secrets.Get(owner, repo, secretName).ConfigureAwait(false);
                return true;
            }
            catch (NotFoundException)
            {
                return false;
            }
        }, ct);

    public Task DeleteActionsSecretAsync(string owner, string repo, string secretName, CancellationToken ct) =>
        Call($"DELETE /repos/{owner}/{repo}/actions/secrets/{secretName}", async () =>
        {
            await _client.Repository.Actions.Secrets.Delete(owner, repo, secretName).ConfigureAwait(false);
            return true;
        }, ct);

    /// <summary>The repository's deploy keys (<c>GET /repos/{o}/{r}/keys</c>, every page).</summary>
    public Task<IReadOnlyList<ForgeDeployKey>> ListDeployKeysAsync(string owner, string repo, CancellationToken ct) =>
        Call($"GET /repos/{owner}/{repo}/keys", async () =>
        {
            var keys = await new ApiConnection(_client.Connection).GetAll<DeployKeyJson>(new Uri($"repos/{owner}/{repo}/keys", UriKind.Relative)).ConfigureAwait(false);
            return (IReadOnlyList<ForgeDeployKey>)keys.Select(k => new ForgeDeployKey(k.Id, k.Title ?? "", k.Key ?? "", !k.ReadOnly)).ToList();
        }, ct);

    /// <summary>Adds a deploy key with write access to this one repository (<c>POST /repos/{o}/{r}/keys</c>, read_only=false).</summary>
    public Task<ForgeDeployKey> AddWriteDeployKeyAsync(string owner, string repo, string title, string publicKey, CancellationToken ct) =>
        Call($"POST /repos/{owner}/{repo}/keys", async () =>
        {
            var k = await new ApiConnection(_client.Connection).Post<DeployKeyJson>(new Uri($"repos/{owner}/{repo}/keys", UriKind.Relative),
                new { title, key = publicKey, read_only = false }).ConfigureAwait(false);
            return new ForgeDeployKey(k.Id, k.Title ?? title, k.Key ?? publicKey, !k.ReadOnly);
        }, ct);

    public Task DeleteDeployKeyAsync(string owner, string repo, long keyId, CancellationToken ct) =>
        Call($"DELETE /repos/{owner}/{repo}/keys/{keyId}", async () =>
        {
            await _client.Connection.Delete(new Uri($"repos/{owner}/{repo}/keys/{keyId}", UriKind.Relative)).ConfigureAwait(false);
            return true;
        }, ct);

    /// <summary>The repository's webhooks (<c>GET /repos/{o}/{r}/hooks</c>, every page).</summary>
    public Task<IReadOnlyList<ForgeHook>> ListHooksAsync(string owner, string repo, CancellationToken ct) =>
        Call($"GET /repos/{owner}/{repo}/hooks", async () =>
        {
            var hooks = await new ApiConnection(_client.Connection).GetAll<RepositoryHook>(new Uri($"repos/{owner}/{repo}/hooks", UriKind.Relative)).ConfigureAwait(false);
            return (IReadOnlyList<ForgeHook>)hooks.Select(h => new ForgeHook(h.Id, h.Config?.GetValueOrDefault("url") ?? "", h.Active, [.. h.Events ?? []])).ToList();
        }, ct);

    /// <summary>Creates a push webhook (<c>POST /repos/{o}/{r}/hooks</c>, JSON payloads, TLS verified).</summary>
    public Task CreatePushHookAsync(string owner, string repo, string url, string secret, CancellationToken ct) =>
        Call($"POST /repos/{owner}/{repo}/hooks", async () => (object)await new ApiConnection(_client.Connection).Post<RepositoryHook>(
            new Uri($"repos/{owner}/{repo}/hooks", UriKind.Relative), PushHookBody(url, secret)).ConfigureAwait(false), ct);

    /// <summary>Sets an existing webhook to what <see cref="CreatePushHookAsync"/> creates (<c>PATCH /repos/{o}/{r}/hooks/{id}</c>).</summary>
    public Task UpdatePushHookAsync(string owner, string repo, long hookId, string url, string secret, CancellationToken ct) =>
        Call($"PATCH /repos/{owner}/{repo}/hooks/{hookId}", async () => (object)await new ApiConnection(_client.Connection).Patch<RepositoryHook>(
            new Uri($"repos/{owner}/{repo}/hooks/{hookId}", UriKind.Relative), PushHookBody(url, secret)).ConfigureAwait(false), ct);

    /// <summary>Opens an issue (<c>POST /repos/{o}/{r}/issues</c>); returns its number.</summary>
    public Task<long> CreateIssueAsync(string owner, string repo, string title, string body, IReadOnlyList<string> labels, CancellationToken ct) =>
        Call($"POST /repos/{owner}/{repo}/issues", async () =>
        {
            var issue = new NewIssue(title) { Body = body };
            foreach (var label in labels) issue.Labels.Add(label);
            return (long)(await _client.Issue.Create(owner, repo, issue).ConfigureAwait(false)).Number;
        }, ct);

    /// <summary>The numbers and titles of the open issues carrying <paramref name="label"/> (pull requests left out).</summary>
    public Task<IReadOnlyList<(long Number, string Title)>> ListOpenIssuesAsync(string owner, string repo, string label, CancellationToken ct) =>
        Call($"GET /repos/{owner}/{repo}/issues", async () =>
        {
            var request = new RepositoryIssueRequest { State = ItemStateFilter.Open };
            request.Labels.Add(label);
            var issues = await _client.Issue.GetAllForRepository(owner, repo, request).ConfigureAwait(false);
            return (IReadOnlyList<(long, string)>)issues.Where(i => i.PullRequest is null).Select(i => ((long)i.Number, i.Title ?? "")).ToList();
        }, ct);

    /// <summary>Comments on an issue, then closes it.</summary>
    public Task CloseIssueAsync(string owner, string repo, long number, string comment, CancellationToken ct) =>
        Call($"PATCH /repos/{owner}/{repo}/issues/{number}", async () =>
        {
            await _client.Issue.Comment.Create(owner, repo, checked((int)number), comment).ConfigureAwait(false);
            await _client.Issue.Update(owner, repo, checked((int)number), new IssueUpdate { State = ItemState.Closed }).ConfigureAwait(false);
            return true;
        }, ct);

    private static object PushHookBody(string url, string secret)
    {
        Report.ProcessSecrets.Register(secret);
        return PushHookBodyOf(url, secret);
    }

    private static object PushHookBodyOf(string url, string secret) => new
    {
        name = "web",
        active = true,
        events = new[] { "push" },
        config = new Dictionary<string, string> { ["url"] = url, ["content_type"] = "json", ["secret"] = secret, ["insecure_ssl"] = "0" },
    };

    private static GitHubRepository ToModel(Repository r) =>
        new(r.FullName, r.Visibility?.ToString().ToLowerInvariant() ?? (r.Private ? "private" : "public"), r.DefaultBranch, r.SshUrl);

    /// <summary>GitHub's deploy key JSON (Octokit's serializer maps snake_case onto these).</summary>
    private sealed class DeployKeyJson
    {
        public long Id { get; set; }
        public string? Title { get; set; }
        public string? Key { get; set; }
        public bool ReadOnly { get; set; }
    }

    /// <summary>Runs one Octokit call and turns its exceptions into ForgeApiException.</summary>
    private async Task<T> Call<T>(string what, Func<Task<T>> call, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RateLimitExceededException e)
        {
            var wait = RetryAfterHeader(e) ?? TransportFailures.WaitUntil(e.Reset, DateTimeOffset.UtcNow);
            throw Error(what, ForgeFailureKind.RateLimited, e, $"rate limit exceeded; retry after {wait.TotalSeconds:0} s", wait);
        }
        catch (SecondaryRateLimitExceededException e)
        {
            var wait = RetryAfterHeader(e) ?? TimeSpan.FromMinutes(1);
            throw Error(what, ForgeFailureKind.RateLimited, e, $"secondary rate limit exceeded; retry after {wait.TotalSeconds:0} s", wait);
        }
        catch (ApiValidationException e)
        {
            var details = e.ApiError?.Errors is { Count: > 0 } errors
                ? " (" + string.Join("; ", errors.Select(x => x.Message ?? $"{x.Field} {x.Code}")) + ")"
                : "";
            throw Error(what, ForgeFailureKind.Invalid, e, (e.ApiError?.Message ?? e.Message) + details);
        }
        catch (ApiException e)
        {
            var kind = ForgeApiException.KindOf(e.StatusCode);
            var message = e.ApiError?.Message ?? e.Message;
            if (e.HttpResponse?.Headers is { } headers
                && headers.FirstOrDefault(h => h.Key.Equals("X-Accepted-GitHub-Permissions", StringComparison.OrdinalIgnoreCase)).Value is { } needed)
            {
                message += $" (the token needs: {needed})";
            }
            // Octokit has no type for a plain 429: GitHub asks for Retry-After, else at least a minute.
            throw kind == ForgeFailureKind.RateLimited
                ? Error(what, kind, e, message, RetryAfterHeader(e) ?? TimeSpan.FromMinutes(1))
                : Error(what, kind, e, message);
        }
        catch (HttpRequestException e)
        {
            throw new ForgeApiException(MirrorSide.GitHub, ForgeFailureKind.Unreachable,
                $"GitHub {what}: cannot reach the API: {ForgeApiException.Scrub(e.Message, _token)}", inner: ForgeApiException.Sanitize(e, _token));
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new ForgeApiException(MirrorSide.GitHub, ForgeFailureKind.Timeout, $"GitHub {what}: no answer in time", inner: ForgeApiException.Sanitize(e, _token));
        }
    }

    private ForgeApiException Error(string what, ForgeFailureKind kind, ApiException e, string serverMessage, TimeSpan? retryAfter = null)
    {
        var message = ForgeApiException.Scrub(serverMessage, _token);
        return new ForgeApiException(MirrorSide.GitHub, kind, $"GitHub {what} failed with {(int)e.StatusCode}: {message}",
            (int)e.StatusCode, message, retryAfter: retryAfter, inner: ForgeApiException.Sanitize(e, _token));
    }

    /// <summary>The engine's one Retry-After reading, over the headers Octokit kept.</summary>
    private static TimeSpan? RetryAfterHeader(ApiException e) => e.HttpResponse?.Headers is { } headers
        ? TransportFailures.RetryAfter(name => headers.FirstOrDefault(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value, DateTimeOffset.UtcNow)
        : null;

    /// <summary>Sends the API version GitHub asks clients to pin.</summary>
    private sealed class ApiVersionHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.TryAddWithoutValidation("X-GitHub-Api-Version", ApiVersion);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
