using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace GitMirror.Core.Forges.GitLab;

/// <summary>
/// The few GitLab REST v4 calls GitMirror needs, over HttpClient. The token travels only in the
/// PRIVATE-TOKEN header; failures are <see cref="ForgeApiException"/>s carrying the status and
/// GitLab's <c>message</c>; 429 is retried after Retry-After, a bounded number of times.
/// </summary>
public sealed class GitLabClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly string _token;
    private readonly string _host;

    /// <param name="handler">Sends the requests (tests); it must not follow redirects itself.</param>
    public GitLabClient(string apiBase, string token, HttpMessageHandler? handler = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        _token = token;
        var baseUri = new Uri(apiBase.TrimEnd('/') + "/", UriKind.Absolute);
        _host = baseUri.GetLeftPart(UriPartial.Authority);
        // The token is added per request by the origin guard, never to a request for another origin,
        // and no redirect leaves the configured origin (.NET would carry PRIVATE-TOKEN along).
        var guard = new OriginBoundHandler(MirrorSide.GitLab, baseUri,
            request => request.Headers.TryAddWithoutValidation("PRIVATE-TOKEN", token), handler);
        _http = new HttpClient(guard, disposeHandler: true);
        _http.BaseAddress = baseUri;
        _http.Timeout = TimeSpan.FromSeconds(100);
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("GitMirror");
    }

    /// <summary>Items per page of list calls (GitLab's maximum is 100).</summary>
    public int PageSize { get; init; } = 100;

    /// <summary>How many times a 429 is retried before it is reported.</summary>
    public int MaxRateLimitRetries { get; init; } = 3;

    /// <summary>The longest Retry-After we wait out; a longer one is reported at once.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How waiting happens (tests record it instead of sleeping).</summary>
    public Func<TimeSpan, CancellationToken, Task> Delay { get; init; } = Task.Delay;

    public Task<GitLabNamespace?> GetNamespaceAsync(string fullPath, CancellationToken ct) =>
        GetOrNullAsync<GitLabNamespace>($"namespaces/{Encode(fullPath)}", ct);

    public Task<GitLabProject?> GetProjectAsync(string pathWithNamespace, CancellationToken ct) =>
        GetOrNullAsync<GitLabProject>($"projects/{Encode(pathWithNamespace)}", ct);

    public Task<GitLabProject> CreateProjectAsync(string name, string path, long namespaceId, string visibility, CancellationToken ct) =>
        SendAsync<GitLabProject>(HttpMethod.Post, "projects",
            new { name, path, namespace_id = namespaceId, visibility }, ct);

    public Task<GitLabTokenInfo> GetCurrentTokenAsync(CancellationToken ct) =>
        SendAsync<GitLabTokenInfo>(HttpMethod.Get, "personal_access_tokens/self", null, ct);

    public Task<GitLabUser> GetCurrentUserAsync(CancellationToken ct) =>
        SendAsync<GitLabUser>(HttpMethod.Get, "user", null, ct);

    public Task<GitLabVariable?> GetProjectVariableAsync(long projectId, string key, CancellationToken ct) =>
        GetOrNullAsync<GitLabVariable>($"projects/{projectId}/variables/{Encode(key)}", ct);

    /// <summary>Every variable of a project, following the pages.</summary>
    public Task<IReadOnlyList<GitLabVariable>> ListProjectVariablesAsync(long projectId, CancellationToken ct) =>
        ListAllPagesAsync<GitLabVariable>($"projects/{projectId}/variables", ct);

    public Task<GitLabVariable> CreateProjectVariableAsync(long projectId, GitLabVariable variable, CancellationToken ct) =>
        SendAsync<GitLabVariable>(HttpMethod.Post, $"projects/{projectId}/variables", Body(variable, withKey: true), ct);

    public Task<GitLabVariable> UpdateProjectVariableAsync(long projectId, GitLabVariable variable, CancellationToken ct) =>
        SendAsync<GitLabVariable>(HttpMethod.Put, $"projects/{projectId}/variables/{Encode(variable.Key)}", Body(variable, withKey: false), ct);

    public async Task DeleteProjectVariableAsync(long projectId, string key, CancellationToken ct)
    {
        using var _ = await SendRawAsync(HttpMethod.Delete, $"projects/{projectId}/variables/{Encode(key)}", null, ct).ConfigureAwait(false);
    }

    /// <summary>The project's deploy keys (<c>GET /projects/:id/deploy_keys</c>, every page).</summary>
    public Task<IReadOnlyList<GitLabDeployKey>> ListDeployKeysAsync(long projectId, CancellationToken ct) =>
        ListAllPagesAsync<GitLabDeployKey>($"projects/{projectId}/deploy_keys", ct);

    /// <summary>Adds a deploy key that can push to this one project (<c>POST /projects/:id/deploy_keys</c>, can_push=true).</summary>
    public Task<GitLabDeployKey> AddWriteDeployKeyAsync(long projectId, string title, string publicKey, CancellationToken ct) =>
        SendAsync<GitLabDeployKey>(HttpMethod.Post, $"projects/{projectId}/deploy_keys",
            new Dictionary<string, object> { ["title"] = title, ["key"] = publicKey, ["can_push"] = true }, ct);

    public async Task DeleteDeployKeyAsync(long projectId, long keyId, CancellationToken ct)
    {
        using var _ = await SendRawAsync(HttpMethod.Delete, $"projects/{projectId}/deploy_keys/{keyId}", null, ct).ConfigureAwait(false);
    }

    /// <summary>The project's webhooks (<c>GET /projects/:id/hooks</c>, every page).</summary>
    public Task<IReadOnlyList<GitLabHook>> ListProjectHooksAsync(long projectId, CancellationToken ct) =>
        ListAllPagesAsync<GitLabHook>($"projects/{projectId}/hooks", ct);

    /// <summary>Adds a push and tag push webhook (<c>POST /projects/:id/hooks</c>) whose X-Gitlab-Token is <paramref name="token"/>.</summary>
    public Task<GitLabHook> AddPushHookAsync(long projectId, string url, string token, CancellationToken ct) =>
        SendAsync<GitLabHook>(HttpMethod.Post, $"projects/{projectId}/hooks", PushHookBody(url, token), ct);

    /// <summary>Sets an existing webhook to what <see cref="AddPushHookAsync"/> creates (<c>PUT /projects/:id/hooks/:hook_id</c>).</summary>
    public Task<GitLabHook> EditPushHookAsync(long projectId, long hookId, string url, string token, CancellationToken ct) =>
        SendAsync<GitLabHook>(HttpMethod.Put, $"projects/{projectId}/hooks/{hookId}", PushHookBody(url, token), ct);

    private static Dictionary<string, object> PushHookBody(string url, string token)
    {
        Report.ProcessSecrets.Register(token);
        return PushHookBodyOf(url, token);
    }

    private static Dictionary<string, object> PushHookBodyOf(string url, string token) => new()
    {
        ["url"] = url,
        ["token"] = token,
        ["push_events"] = true,
        ["tag_push_events"] = true,
        ["enable_ssl_verification"] = true,
    };

    /// <summary>The API base every request goes to (with a trailing slash).</summary>
    public Uri ApiBase => _http.BaseAddress!;

    /// <summary>
    /// One GET below the API base, conditional when <paramref name="etag"/> is given, answered as the
    /// server answered it (a 304 or an error included; the caller reads and disposes it). For the
    /// paginated, cached organisation listings, which apply the retry policy themselves.
    /// </summary>
    public Task<HttpResponseMessage> GetConditionalAsync(string relativeUrl, string? etag, CancellationToken ct)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, relativeUrl);
        if (etag is not null) request.Headers.TryAddWithoutValidation("If-None-Match", etag);
        return _http.SendAsync(request, ct);
    }

    /// <summary>Opens an issue (<c>POST /projects/:id/issues</c>) with comma-separated labels.</summary>
    public Task<GitLabIssue> CreateIssueAsync(string projectPath, string title, string description, string labels, CancellationToken ct) =>
        SendAsync<GitLabIssue>(HttpMethod.Post, $"projects/{Encode(projectPath)}/issues",
            new Dictionary<string, object> { ["title"] = title, ["description"] = description, ["labels"] = labels }, ct);

    /// <summary>The project's open issues carrying <paramref name="label"/>, every page.</summary>
    public Task<IReadOnlyList<GitLabIssue>> ListOpenIssuesAsync(string projectPath, string label, CancellationToken ct) =>
        ListAllPagesAsync<GitLabIssue>($"projects/{Encode(projectPath)}/issues?state=opened&labels={Encode(label)}", ct);

    /// <summary>Comments on an issue (<c>POST /projects/:id/issues/:iid/notes</c>).</summary>
    public async Task AddIssueNoteAsync(string projectPath, long iid, string body, CancellationToken ct)
    {
        using var _ = await SendRawAsync(HttpMethod.Post, $"projects/{Encode(projectPath)}/issues/{iid}/notes",
            new Dictionary<string, object> { ["body"] = body }, ct).ConfigureAwait(false);
    }

    /// <summary>Closes an issue (<c>PUT /projects/:id/issues/:iid</c> with state_event=close).</summary>
    public Task<GitLabIssue> CloseIssueAsync(string projectPath, long iid, CancellationToken ct) =>
        SendAsync<GitLabIssue>(HttpMethod.Put, $"projects/{Encode(projectPath)}/issues/{iid}",
            new Dictionary<string, object> { ["state_event"] = "close" }, ct);

    public void Dispose() => _http.Dispose();

    // masked_and_hidden (GitLab 17.4+) exists only on creation; older GitLab ignores it and masks.
    private static object Body(GitLabVariable v, bool withKey)
    {
        Report.ProcessSecrets.Register(v.Value);
        return BodyOf(v, withKey);
    }

    private static object BodyOf(GitLabVariable v, bool withKey) => withKey
        ? v.Hidden
            ? new { key = v.Key, value = v.Value, masked_and_hidden = true, masked = true, @protected = v.Protected, raw = v.Raw, variable_type = "env_var" }
            : new { key = v.Key, value = v.Value, masked = v.Masked, @protected = v.Protected, raw = v.Raw, variable_type = "env_var" }
        : new { value = v.Value, masked = v.Masked, @protected = v.Protected, raw = v.Raw, variable_type = "env_var" };

    private static string Encode(string pathOrKey) => Uri.EscapeDataString(pathOrKey);

    /// <summary>Every item of a list resource (<paramref name="resource"/> without a query), following the pages.</summary>
    private async Task<IReadOnlyList<T>> ListAllPagesAsync<T>(string resource, CancellationToken ct)
    {
        var all = new List<T>();
        string? next = $"{resource}{(resource.Contains('?', StringComparison.Ordinal) ? '&' : '?')}per_page={PageSize}&page=1";
        while (next is not null)
        {
            using var response = await SendRawAsync(HttpMethod.Get, next, null, ct).ConfigureAwait(false);
            all.AddRange(await ReadAsync<List<T>>(response, HttpMethod.Get, next, ct).ConfigureAwait(false));
            next = NextPage(response, next);
        }
        return all;
    }

    /// <summary>The next page's relative URL from x-next-page, else from Link rel="next"; null on the last page.</summary>
    internal string? NextPage(HttpResponseMessage response, string current)
    {
        if (response.Headers.TryGetValues("x-next-page", out var values)
            && values.FirstOrDefault() is { Length: > 0 } nextPage)
        {
            var query = System.Text.RegularExpressions.Regex.Replace(current, @"([?&])page=\d+", "$1page=" + nextPage);
            return query == current ? current + (current.Contains('?') ? "&" : "?") + "page=" + nextPage : query;
        }
        if (response.Headers.TryGetValues("Link", out var links))
        {
            foreach (var part in string.Join(",", links).Split(','))
            {
                var segments = part.Split(';');
                if (segments.Length > 1 && segments.Skip(1).Any(s => s.Trim() == "rel=\"next\""))
                {
                    var url = segments[0].Trim().TrimStart('<').TrimEnd('>');
                    // Only follow links to our own API: the token must never go anywhere else.
                    var absolute = new Uri(_http.BaseAddress!, url);
                    if (!_http.BaseAddress!.IsBaseOf(absolute)) return null;
                    return _http.BaseAddress!.MakeRelativeUri(absolute).ToString();
                }
            }
        }
        return null;
    }

    private async Task<T?> GetOrNullAsync<T>(string path, CancellationToken ct) where T : class
    {
        try
        {
            return await SendAsync<T>(HttpMethod.Get, path, null, ct).ConfigureAwait(false);
        }
        catch (ForgeApiException e) when (e.Kind == ForgeFailureKind.NotFound)
        {
            return null;
        }
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var response = await SendRawAsync(method, path, body, ct).ConfigureAwait(false);
        return await ReadAsync<T>(response, method, path, ct).ConfigureAwait(false);
    }

    private async Task<T> ReadAsync<T>(HttpResponseMessage response, HttpMethod method, string path, CancellationToken ct)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(ct).ConfigureAwait(false)
                ?? throw new JsonException("empty body");
        }
        catch (JsonException e)
        {
            throw new ForgeApiException(MirrorSide.GitLab, ForgeFailureKind.Server,
                $"GitLab {method} {Describe(path)} returned {(int)response.StatusCode} with an unreadable body: {e.Message}",
                (int)response.StatusCode, inner: ForgeApiException.Sanitize(e, _token));
        }
    }

    /// <summary>Sends one request; a success comes back, everything else becomes a ForgeApiException.</summary>
    private async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, path);
            if (body is not null) request.Content = JsonContent.Create(body);
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, ct).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                throw new ForgeApiException(MirrorSide.GitLab, ForgeFailureKind.Unreachable,
                    $"GitLab {method} {Describe(path)}: cannot reach {_host}: {ForgeApiException.Scrub(e.Message, _token)}", inner: ForgeApiException.Sanitize(e, _token));
            }
            catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
            {
                throw new ForgeApiException(MirrorSide.GitLab, ForgeFailureKind.Timeout,
                    $"GitLab {method} {Describe(path)}: no answer from {_host} within {_http.Timeout.TotalSeconds:0} s", inner: ForgeApiException.Sanitize(e, _token));
            }
            if (response.IsSuccessStatusCode) return response;

            using (response)
            {
                var retryAfter = RetryAfterOf(response);
                if (response.StatusCode == HttpStatusCode.TooManyRequests && attempt < MaxRateLimitRetries
                    && retryAfter is { } wait && wait <= MaxRetryAfter)
                {
                    await Delay(wait, ct).ConfigureAwait(false);
                    continue;
                }
                throw await ErrorAsync(response, method, path, retryAfter, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The one Retry-After reading of the engine; a 429 without one waits a minute.</summary>
    private static TimeSpan? RetryAfterOf(HttpResponseMessage response) =>
        Unattended.TransportFailures.RetryAfter(response.Headers, DateTimeOffset.UtcNow)
        ?? (response.StatusCode == HttpStatusCode.TooManyRequests ? TimeSpan.FromSeconds(60) : null);

    private async Task<ForgeApiException> ErrorAsync(HttpResponseMessage response, HttpMethod method, string path,
        TimeSpan? retryAfter, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        var (message, fields) = ParseMessage(text);
        message = message is null ? null : ForgeApiException.Scrub(message, _token);
        var status = (int)response.StatusCode;
        var kind = ForgeApiException.KindOf(response.StatusCode, Unattended.TransportFailures.IsRateLimited(status, response.Headers));
        var summary = $"GitLab {method} {Describe(path)} failed with {status} {response.ReasonPhrase}"
            + (message is null ? "" : $": {message}")
            + (response.Headers.Location is { } moved ? $" (a redirect to {moved.GetLeftPart(UriPartial.Path)}, not followed so the token stays with {_host}: check 'api' in the config file)" : "")
            + (kind == ForgeFailureKind.RateLimited && retryAfter is { } r ? $" (retry after {r.TotalSeconds:0} s)" : "");
        return new ForgeApiException(MirrorSide.GitLab, kind, summary, status, message, fields,
            kind == ForgeFailureKind.RateLimited ? retryAfter : null);
    }

    /// <summary>GitLab's <c>message</c> (or <c>error</c>) is a string, or an object of field → messages.</summary>
    internal static (string? Message, Dictionary<string, string[]> Fields) ParseMessage(string body)
    {
        var fields = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(body)) return (null, fields);
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return (null, fields);
            var element = doc.RootElement.TryGetProperty("message", out var m) ? m
                : doc.RootElement.TryGetProperty("error", out var e) ? e : default;
            switch (element.ValueKind)
            {
                case JsonValueKind.String:
                    return (element.GetString(), fields);
                case JsonValueKind.Object:
                    foreach (var field in element.EnumerateObject())
                    {
                        fields[field.Name] = field.Value.ValueKind == JsonValueKind.Array
                            ? field.Value.EnumerateArray().Select(v => v.ToString()).ToArray()
                            : [field.Value.ToString()];
                    }
                    return (string.Join("; ", fields.Select(f => $"{f.Key} {string.Join(", ", f.Value)}")), fields);
                case JsonValueKind.Array:
                    return (string.Join("; ", element.EnumerateArray().Select(v => v.ToString())), fields);
                default:
                    return (null, fields);
            }
        }
        catch (JsonException)
        {
            return (body.Length > 200 ? body[..200] : body, fields);
        }
    }

    // Paths hold project paths and variable keys, never a value or a token; drop the query.
    private static string Describe(string path) => "/" + Uri.UnescapeDataString(path.Split('?')[0]);
}
