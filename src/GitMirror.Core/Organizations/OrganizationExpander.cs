using System.Text.Json;
using System.Text.RegularExpressions;
using GitMirror.Core.Config;
using GitMirror.Core.Forges;
using GitMirror.Core.Forges.GitHub;
using GitMirror.Core.Forges.GitLab;
using GitMirror.Core.Transport;
using GitMirror.Core.Unattended;

namespace GitMirror.Core.Organizations;

/// <summary>An organisation rule whose listing failed: the rule yields no pair this run; the other rules and pairs still run.</summary>
public sealed class OrganizationListingException(OrganizationRule rule, MirrorSide side, string message, TransportFailureKind? kind, Exception? inner = null)
    : Exception(message, inner)
{
    public OrganizationRule Rule { get; } = rule;

    /// <summary>The side whose listing failed.</summary>
    public MirrorSide Side { get; } = side;

    /// <summary>Why, when it was an HTTP failure (NotFound, Permission, …).</summary>
    public TransportFailureKind? Kind { get; } = kind;
}

/// <summary>The config with its organisations expanded.</summary>
public sealed class OrganizationExpansion
{
    /// <summary>The config whose <see cref="MirrorConfig.Pairs"/> are the <c>repos:</c> pairs followed by every organisation's pairs.</summary>
    public required MirrorConfig Config { get; init; }

    /// <summary>Rules whose listing failed this run (one error each).</summary>
    public IReadOnlyList<OrganizationListingException> Failures { get; init; } = [];
}

public sealed record OrganizationExpanderOptions
{
    public TimeProvider Time { get; init; } = TimeProvider.System;

    public MirrorRetryOptions? Retry { get; init; }

    /// <summary>Reads the token variables (tests give their own).</summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    /// <summary>Sends the API requests (tests); it must not follow redirects itself.</summary>
    public HttpMessageHandler? Handler { get; init; }

    /// <summary>
    /// Only the first page of a listing is asked for conditionally; a change that leaves it as it
    /// was (an old repository archived or deleted) is seen at the next full listing, made at least
    /// this many refresh windows apart, and at least once an hour.
    /// </summary>
    public int FullListingEvery { get; init; } = 6;

    /// <summary>Use the cached listings whatever their age and send nothing (tab completion); a listing never made counts as empty.</summary>
    public bool CacheOnly { get; init; }
}

/// <summary>
/// Expands repos.yaml's <c>organizations:</c> into pairs: one per repository name directly in the
/// GitHub organisation (or user) or directly in the GitLab group, archived repositories, forks and
/// projects pending deletion left out, include/exclude applied, an explicit <c>repos:</c> pair
/// winning over an expanded one. Listings come from the forges' APIs through the origin-bound
/// clients and the retry policy, 100 a page, and are cached for <c>organizationRefreshMinutes</c>;
/// after that, one conditional request (If-None-Match) per listing usually confirms them.
/// </summary>
public sealed partial class OrganizationExpander(IMirrorLog log, OrganizationExpanderOptions? options = null)
{
    private readonly OrganizationExpanderOptions _options = options ?? new OrganizationExpanderOptions();
    private int _requests;

    /// <summary>API requests sent so far (every attempt), for tests and the benchmark.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>The config with every organisation expanded; unchanged when it has none.</summary>
    /// <param name="recheck">Rules whose listings are asked for now (conditionally) whatever their age: an event named a repository they lack.</param>
    public async Task<OrganizationExpansion> ExpandAsync(MirrorConfig config, CancellationToken ct, IReadOnlyCollection<OrganizationRule>? recheck = null)
    {
        if (config.Organizations.Count == 0) return new OrganizationExpansion { Config = config };
        var pairs = new List<MirrorPair>(config.Pairs);
        var byGitHub = new HashSet<string>(config.Pairs.Select(p => p.GitHub), StringComparer.OrdinalIgnoreCase);
        var byGitLab = new HashSet<string>(config.Pairs.Select(p => p.GitLab), StringComparer.OrdinalIgnoreCase);
        var names = new HashSet<string>(config.Pairs.Select(p => p.Name), StringComparer.OrdinalIgnoreCase);
        var failures = new List<OrganizationListingException>();
        foreach (var rule in config.Organizations)
        {
            var force = recheck?.Contains(rule) == true;
            var gitHub = ListAsync(config, rule, MirrorSide.GitHub, force, ct);
            var gitLab = ListAsync(config, rule, MirrorSide.GitLab, force, ct);
            var gitHubNames = await Collect(gitHub, failures).ConfigureAwait(false);
            var gitLabNames = await Collect(gitLab, failures).ConfigureAwait(false);
            if (gitHubNames is null || gitLabNames is null) continue;

            var gitLabByName = gitLabNames.GroupBy(n => n, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
            var gitHubByName = gitHubNames.GroupBy(n => n, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
            var all = gitHubByName.Keys.Concat(gitLabByName.Keys.Where(n => !gitHubByName.ContainsKey(n)))
                .Where(rule.Selects)
                .OrderBy(n => n, StringComparer.OrdinalIgnoreCase);
            foreach (var key in all)
            {
                var onGitHub = gitHubByName.TryGetValue(key, out var gitHubName);
                var onGitLab = gitLabByName.TryGetValue(key, out var gitLabName);
                var gitHubPath = $"{rule.GitHub}/{gitHubName ?? gitLabName}";
                var gitLabPath = $"{rule.GitLab}/{gitLabName ?? gitHubName}";
                // A pair under repos: wins: it is the operator's explicit choice for that repository.
                if (byGitHub.Contains(gitHubPath) || byGitLab.Contains(gitLabPath) || names.Contains(gitHubPath))
                {
                    log.Verbose($"Organisation {rule.GitHub}: {gitHubPath} is listed under repos:, which wins");
                    continue;
                }
                pairs.Add(NewPair(config, rule, gitHubPath, gitLabPath, onGitHub ? onGitLab ? null : MirrorSide.GitLab : MirrorSide.GitHub));
            }
        }
        return new OrganizationExpansion
        {
            // Every setting kept as loaded (a record copy), only the pairs added.
            Config = config with { Pairs = pairs },
            Failures = failures,
        };
    }

    private static async Task<IReadOnlyList<string>?> Collect(Task<IReadOnlyList<string>> listing, List<OrganizationListingException> failures)
    {
        try
        {
            return await listing.ConfigureAwait(false);
        }
        catch (OrganizationListingException e)
        {
            failures.Add(e);
            return null;
        }
    }

    /// <summary>The rule whose organisation or group holds <paramref name="path"/> and whose globs select its name; null when none does.</summary>
    public static OrganizationRule? RuleFor(MirrorConfig config, MirrorSide side, string path)
    {
        var slash = path.Trim().TrimEnd('/').LastIndexOf('/');
        if (slash <= 0) return null;
        var (owner, name) = (path[..slash], path[(slash + 1)..]);
        return config.Organizations.FirstOrDefault(r =>
            string.Equals(side == MirrorSide.GitHub ? r.GitHub : r.GitLab, owner, StringComparison.OrdinalIgnoreCase)
            && RepositoryName().IsMatch(name) && r.Selects(name));
    }

    /// <summary>After GitMirror created a repository of an organisation pair: the next run asks the forge again.</summary>
    public static void MarkStale(MirrorPair pair)
    {
        if (pair.Organization is null) return;
        ListingCache.MarkStale(pair.CachePath, pair.GitHubApi, MirrorSide.GitHub, pair.Organization);
        ListingCache.MarkStale(pair.CachePath, pair.GitLabApi, MirrorSide.GitLab, pair.GitLab[..pair.GitLab.LastIndexOf('/')]);
    }

    private static MirrorPair NewPair(MirrorConfig config, OrganizationRule rule, string gitHubPath, string gitLabPath, MirrorSide? missingOn) => new()
    {
        Name = gitHubPath,
        GitHub = gitHubPath,
        GitLab = gitLabPath,
        GitHubUrl = ConfigLoader.CloneUrl(config.GitHub.Url, gitHubPath),
        GitLabUrl = ConfigLoader.CloneUrl(config.GitLab.Url, gitLabPath),
        OnDivergence = rule.OnDivergence,
        RefRules = rule.RefRules,
        Lfs = config.Lfs,
        ConfigPath = config.ConfigPath,
        GitHubApi = config.GitHub.Api,
        GitLabApi = config.GitLab.Api,
        GitHubTokenEnv = config.GitHub.TokenEnv,
        GitLabTokenEnv = config.GitLab.TokenEnv,
        GitHubMaxPushBytes = config.GitHub.MaxPushBytes,
        GitLabMaxPushBytes = config.GitLab.MaxPushBytes,
        CachePath = config.CachePath,
        Organization = rule.GitHub,
        MissingOn = missingOn,
    };

    /// <summary>The names that count on one side of a rule: from the cache while it is fresh, else from the forge.</summary>
    private async Task<IReadOnlyList<string>> ListAsync(MirrorConfig config, OrganizationRule rule, MirrorSide side, bool force, CancellationToken ct)
    {
        await Task.Yield();
        var forge = side == MirrorSide.GitHub ? config.GitHub : config.GitLab;
        var owner = side == MirrorSide.GitHub ? rule.GitHub : rule.GitLab;
        var now = _options.Time.GetUtcNow();
        CachedListing? cached;
        try
        {
            cached = ListingCache.Read(config.CachePath, forge.Api, side, owner);
        }
        catch (IOException e)
        {
            // The cache refused (a link, someone else's file): this rule cannot run safely.
            throw Failure(config, rule, side, e);
        }
        if (cached is not null && !force && now - cached.CheckedAt < config.OrganizationRefresh && cached.CheckedAt <= now)
        {
            return [.. cached.Names];
        }

        if (_options.CacheOnly) return cached is null ? [] : [.. cached.Names];
        var token = _options.Environment(forge.TokenEnv);
        if (string.IsNullOrEmpty(token))
        {
            throw new OrganizationListingException(rule, side,
                $"{Describe(side, owner)}: cannot list it: the environment variable {forge.TokenEnv} holding the {side} token is not set.", TransportFailureKind.Authentication);
        }
        var fullEvery = TimeSpan.FromTicks(Math.Max(config.OrganizationRefresh.Ticks * _options.FullListingEvery, TimeSpan.FromHours(1).Ticks));
        try
        {
            CachedListing listing;
            if (side == MirrorSide.GitHub)
            {
                var client = new GitHubForge(forge.Api, token, _options.Handler);
                listing = await ListPagesAsync(client.GetConditionalAsync, client.ApiBase, config, rule, side, owner, cached, fullEvery, now, ct).ConfigureAwait(false);
            }
            else
            {
                using var client = new GitLabClient(forge.Api, token, _options.Handler is null ? null : new NonDisposingHandler(_options.Handler));
                listing = await ListPagesAsync(client.GetConditionalAsync, client.ApiBase, config, rule, side, owner, cached, fullEvery, now, ct).ConfigureAwait(false);
            }
            ListingCache.Write(config.CachePath, listing);
            return [.. listing.Names];
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (OrganizationListingException)
        {
            throw;
        }
        catch (Exception e) when (e is GitTransportException or ForgeApiException or JsonException or IOException or UnauthorizedAccessException or HttpRequestException)
        {
            throw Failure(config, rule, side, e);
        }
    }

    private async Task<CachedListing> ListPagesAsync(Func<string, string?, CancellationToken, Task<HttpResponseMessage>> send, Uri apiBase,
        MirrorConfig config, OrganizationRule rule, MirrorSide side, string owner, CachedListing? cached, TimeSpan fullEvery, DateTimeOffset now, CancellationToken ct)
    {
        var retry = MirrorRetry.Create($"{Describe(side, owner)} listing", log, _options.Retry);
        var isUser = cached?.IsUser ?? false;
        var url = FirstPage(side, owner, isUser);
        HttpResponseMessage? first = null;
        try
        {
            if (cached is { Pages: [{ ETag: { } etag }, ..] } && now - cached.ListedAt < fullEvery)
            {
                first = await SendAsync(retry, send, url, etag, side, owner, ct).ConfigureAwait(false);
                if (first.StatusCode == System.Net.HttpStatusCode.NotModified)
                {
                    log.Verbose($"{Describe(side, owner)}: listing unchanged (304), kept from the cache");
                    return cached with { CheckedAt = now };
                }
            }
            else
            {
                first = await SendAsync(retry, send, url, null, side, owner, ct).ConfigureAwait(false);
            }
            if (side == MirrorSide.GitHub && first.StatusCode == System.Net.HttpStatusCode.NotFound && !isUser)
            {
                // Not an organisation the token can see: maybe a user account, listed elsewhere.
                first.Dispose();
                first = null;
                if (await IsGitHubUserAsync(retry, send, owner, ct).ConfigureAwait(false))
                {
                    isUser = true;
                    url = FirstPage(side, owner, isUser);
                    first = await SendAsync(retry, send, url, null, side, owner, ct).ConfigureAwait(false);
                }
                else
                {
                    throw new GitTransportException(TransportFailureKind.NotFound, $"{Describe(side, owner)}: not found (HTTP 404), or the token cannot see it.", 404);
                }
            }

            var pages = new List<ListingPage>();
            var response = first;
            first = null;
            while (true)
            {
                using (response)
                {
                    if (!response.IsSuccessStatusCode) throw TransportFailures.ForStatus(response, $"{Describe(side, owner)} listing", _options.Time.GetUtcNow());
                    var body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
                    pages.Add(new ListingPage
                    {
                        ETag = response.Headers.ETag?.ToString(),
                        Names = [.. Names(body, side, owner)],
                    });
                    var next = NextPage(response, url, apiBase);
                    if (next is null) break;
                    if (pages.Count >= MaxPages)
                    {
                        throw new GitTransportException(TransportFailureKind.Protocol, $"{Describe(side, owner)}: more than {MaxPages} pages; refusing to list further.");
                    }
                    url = next;
                }
                response = await SendAsync(retry, send, url, null, side, owner, ct).ConfigureAwait(false);
            }
            log.Verbose($"{Describe(side, owner)}: listed {pages.Sum(p => p.Names.Length)} repositories on {pages.Count} pages");
            return new CachedListing
            {
                Api = (side == MirrorSide.GitHub ? config.GitHub : config.GitLab).Api,
                Side = side,
                Owner = owner,
                IsUser = isUser,
                CheckedAt = now,
                ListedAt = now,
                Pages = [.. pages],
            };
        }
        finally
        {
            first?.Dispose();
        }
    }

    /// <summary>A listing of over 100,000 repositories is not something to page through on every refresh.</summary>
    private const int MaxPages = 1000;

    private async Task<bool> IsGitHubUserAsync(Polly.ResiliencePipeline retry, Func<string, string?, CancellationToken, Task<HttpResponseMessage>> send,
        string owner, CancellationToken ct)
    {
        using var response = await SendAsync(retry, send, $"users/{Uri.EscapeDataString(owner)}", null, MirrorSide.GitHub, owner, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) return false;
        using var json = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false));
        return json.RootElement.ValueKind == JsonValueKind.Object
            && json.RootElement.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "User";
    }

    /// <summary>One request under the retry policy: a success, a 304 or a 404 comes back; anything else is a typed failure (retried when transient).</summary>
    private async Task<HttpResponseMessage> SendAsync(Polly.ResiliencePipeline retry, Func<string, string?, CancellationToken, Task<HttpResponseMessage>> send,
        string url, string? etag, MirrorSide side, string owner, CancellationToken ct) =>
        await retry.ExecuteAsync(async token =>
        {
            Interlocked.Increment(ref _requests);
            var response = await send(url, etag, token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (status is >= 200 and < 300 or 304 or 404) return response;
            using (response)
            {
                throw TransportFailures.ForStatus(response, $"{Describe(side, owner)} listing", _options.Time.GetUtcNow());
            }
        }, ct).ConfigureAwait(false);

    private static string FirstPage(MirrorSide side, string owner, bool isUser) => side == MirrorSide.GitHub
        ? isUser
            ? $"users/{Uri.EscapeDataString(owner)}/repos?type=owner&sort=created&direction=desc&per_page={PageSize}"
            : $"orgs/{Uri.EscapeDataString(owner)}/repos?type=all&sort=created&direction=desc&per_page={PageSize}"
        // Newest first, as on GitHub: a new repository changes the first page, whose ETag is what is checked.
        : $"groups/{Uri.EscapeDataString(owner)}/projects?with_shared=false&include_subgroups=false&order_by=id&sort=desc&per_page={PageSize}&page=1";

    private const int PageSize = 100;

    /// <summary>The next page below the API base: GitLab's x-next-page, else a Link rel="next" that stays at the API base (the token never goes elsewhere).</summary>
    internal static string? NextPage(HttpResponseMessage response, string current, Uri apiBase)
    {
        if (response.Headers.TryGetValues("x-next-page", out var values) && values.FirstOrDefault() is { Length: > 0 } nextPage)
        {
            if (!int.TryParse(nextPage, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var page)) return null;
            var replaced = PageParameter().Replace(current, "${1}page=" + page.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return replaced == current ? null : replaced;
        }
        if (!response.Headers.TryGetValues("Link", out var links)) return null;
        foreach (var part in string.Join(",", links).Split(','))
        {
            var segments = part.Split(';');
            if (segments.Length < 2 || !segments.Skip(1).Any(s => s.Trim() == "rel=\"next\"")) continue;
            var target = segments[0].Trim().TrimStart('<').TrimEnd('>');
            if (!Uri.TryCreate(apiBase, target, out var absolute) || !apiBase.IsBaseOf(absolute)) return null;
            return apiBase.MakeRelativeUri(absolute).ToString();
        }
        return null;
    }

    /// <summary>The repository names of one page that count: not archived, not a fork, not pending deletion, directly in the owner.</summary>
    internal static IEnumerable<string> Names(byte[] body, MirrorSide side, string owner)
    {
        using var json = JsonDocument.Parse(body);
        if (json.RootElement.ValueKind != JsonValueKind.Array)
        {
            throw new JsonException($"{Describe(side, owner)}: the listing is not a JSON array");
        }
        var names = new List<string>();
        foreach (var item in json.RootElement.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object) continue;
            if (True(item, "archived") || True(item, "fork") || True(item, "disabled")) continue;
            string? name;
            if (side == MirrorSide.GitHub)
            {
                name = Text(item, "name");
                if (item.TryGetProperty("owner", out var o) && Text(o, "login") is { } login && !login.Equals(owner, StringComparison.OrdinalIgnoreCase)) continue;
            }
            else
            {
                // GitLab: the path, not the display name; subgroups' and shared projects are not the group's own.
                name = Text(item, "path");
                if (!item.TryGetProperty("namespace", out var ns) || !string.Equals(Text(ns, "full_path"), owner, StringComparison.OrdinalIgnoreCase)) continue;
                if (NotNull(item, "marked_for_deletion_at") || NotNull(item, "marked_for_deletion_on")) continue;
                if (item.TryGetProperty("forked_from_project", out var parent) && parent.ValueKind == JsonValueKind.Object) continue;
            }
            if (name is null || !RepositoryName().IsMatch(name) || name is "." or "..") continue;
            names.Add(name);
        }
        return names;
    }

    private static bool True(JsonElement item, string name) => item.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    private static bool NotNull(JsonElement item, string name) =>
        item.TryGetProperty(name, out var v) && v.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined or JsonValueKind.False);

    private static string? Text(JsonElement item, string name) =>
        item.ValueKind == JsonValueKind.Object && item.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string Describe(MirrorSide side, string owner) =>
        side == MirrorSide.GitHub ? $"GitHub organisation '{owner}'" : $"GitLab group '{owner}'";

    /// <summary>The rule's failure, with what the token needs when the forge would not show the listing.</summary>
    private static OrganizationListingException Failure(MirrorConfig config, OrganizationRule rule, MirrorSide side, Exception error)
    {
        var kind = (error as GitTransportException)?.Kind ?? (error is ForgeApiException { Kind: ForgeFailureKind.RedirectRefused } ? TransportFailureKind.Moved : null);
        var owner = side == MirrorSide.GitHub ? rule.GitHub : rule.GitLab;
        var tokenEnv = side == MirrorSide.GitHub ? config.GitHub.TokenEnv : config.GitLab.TokenEnv;
        var reason = error.Message.TrimEnd('.');
        if (!reason.StartsWith(Describe(side, owner), StringComparison.Ordinal)) reason = $"{Describe(side, owner)}: {reason}";
        var needs = kind is TransportFailureKind.NotFound or TransportFailureKind.Permission or TransportFailureKind.Authentication
            ? side == MirrorSide.GitHub
                ? $". The token in ${tokenEnv} must see the organisation's repositories: a classic token with the 'repo' scope (and 'read:org'), or a fine-grained token with 'Metadata: read' on them; check the name in organizations[].github"
                : $". The token in ${tokenEnv} needs the 'read_api' (or 'api') scope and membership of the group; check the full path in organizations[].gitlab"
            : "";
        return new OrganizationListingException(rule, side, $"{reason}{needs}. The organisation's pairs are left out of this run.", kind, error);
    }

    [GeneratedRegex(@"^[A-Za-z0-9_.-]+$")]
    private static partial Regex RepositoryName();

    [GeneratedRegex(@"([?&])page=\d+")]
    private static partial Regex PageParameter();

    /// <summary>A test's shared handler, kept alive when a per-listing client is disposed.</summary>
    private sealed class NonDisposingHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override void Dispose(bool disposing)
        {
        }
    }
}
