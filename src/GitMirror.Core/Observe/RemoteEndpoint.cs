using GitMirror.Core.Transport;
using LibGit2Sharp;

namespace GitMirror.Core.Observe;

/// <summary>
/// One side of a pair as the engine reaches it: its URL, its token (http and https only, read from
/// the environment variable the config names), and how to run a git operation against it so that
/// failures come out typed and tokens never leave the Authorization header.
/// </summary>
public sealed class RemoteEndpoint
{
    /// <summary>How long a remote may stay silent; GITMIRROR_TIMEOUT_SEC overrides it.</summary>
    public static TimeSpan DefaultTimeout { get; } = TimeSpan.FromSeconds(
        int.TryParse(Environment.GetEnvironmentVariable("GITMIRROR_TIMEOUT_SEC"), out var seconds) && seconds > 0 ? seconds : 120);

    private RemoteEndpoint(MirrorSide side, string path, string url, string tokenEnv)
    {
        Side = side;
        _path = path;
        Url = url;
        TokenEnv = tokenEnv;
        Description = $"{side} ({path})";
    }

    private readonly string _path;

    /// <summary>Exception.Data key naming the host a failure came from (for the auth circuit breaker).</summary>
    public const string HostKey = "GitMirror.Host";

    /// <summary>Exception.Data key naming the side (MirrorSide) a failure came from: two sides may share a host.</summary>
    public const string SideKey = "GitMirror.Side";

    public MirrorSide Side { get; }

    public string Url { get; }

    /// <summary>The environment variable that holds this side's token (used for http and https only).</summary>
    public string TokenEnv { get; }

    /// <summary>"GitLab (team/repo)": how messages name the side; never a URL with credentials.</summary>
    public string Description { get; }

    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>This side with another idle timeout.</summary>
    public RemoteEndpoint WithTimeout(TimeSpan timeout) => new(Side, _path, Url, TokenEnv) { Timeout = timeout, MaxPushBytes = MaxPushBytes, App = App, Api = Api };

    /// <summary>The GitHub App whose installation token authenticates this side instead of <see cref="TokenEnv"/>'s.</summary>
    public MirrorGitHubApp? App { get; init; }

    /// <summary>The side's REST API base: where a GitHub App gets its installation tokens.</summary>
    public string? Api { get; init; }

    public bool IsHttp => Url.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
        || Url.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>The directory of a local (path or file://) remote; null for http and https.</summary>
    public string? LocalPath => IsHttp ? null
        : Uri.TryCreate(Url, UriKind.Absolute, out var uri) && uri.IsFile ? uri.LocalPath
        : Url;

    public static RemoteEndpoint For(MirrorPair pair, MirrorSide side) =>
        new(side, pair.PathOf(side), pair.UrlOf(side), side == MirrorSide.GitHub ? pair.GitHubTokenEnv : pair.GitLabTokenEnv)
        {
            MaxPushBytes = pair.MaxPushBytesOf(side),
            App = side == MirrorSide.GitHub ? pair.GitHubApp : null,
            Api = side == MirrorSide.GitHub ? pair.GitHubApi : pair.GitLabApi,
        };

    /// <summary>The largest push this side accepts (the forge's maxPushSize); bigger histories go out in steps.</summary>
    public long MaxPushBytes { get; init; } = Config.ForgeSettings.DefaultMaxPushBytes;

    /// <summary>The bot's credential for an http(s) side; a missing variable fails at once, naming it.</summary>
    public GitCredential? Credential(CancellationToken cancellationToken = default)
    {
        if (!IsHttp) return null;
        ProcessHardening.ProtectSecrets();
        if (App is { } app)
        {
            try
            {
                // The App's installation token, renewed before it expires; git takes it as x-access-token's password.
                var installationToken = Forges.GitHub.GitHubAppTokens.Shared.Token(Api!, app, Forges.GitHub.GitHubAuth.OwnerOf(_path), cancellationToken);
                return GitCredential.ForGitHub(installationToken.Token).For(Url);
            }
            catch (Forges.ForgeApiException e)
            {
                throw Explain(new GitTransportException(Forges.GitHub.GitHubAuth.TransportKindOf(e.Kind), $"{Description}: {e.Message}", e.StatusCode, e.RetryAfter));
            }
        }
        var token = Environment.GetEnvironmentVariable(TokenEnv);
        if (string.IsNullOrWhiteSpace(token))
        {
            throw Explain(new GitTransportException(TransportFailureKind.Authentication,
                $"{Description}: no token: the environment variable {TokenEnv} is not set (it must hold the {Side} mirror bot's token)"));
        }
        // Bound to the configured origin: the transport refuses to send it anywhere else.
        return (Side == MirrorSide.GitHub ? GitCredential.ForGitHub(token.Trim()) : GitCredential.ForGitLab(token.Trim())).For(Url);
    }

    /// <summary>The branches and tags of this side: ref name → object id (a tag's own object, not the peeled commit).</summary>
    public async Task<IReadOnlyDictionary<string, string>> ListRefsAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (IsHttp)
        {
            try
            {
                // Protocol v2 ls-refs limited to heads and tags: a big GitHub repository's
                // thousands of refs/pull/* are never sent.
                var (refs, answeredAt) = await new HttpRefLister().ListWithLocationAsync(Url, Credential(cancellationToken), Timeout, cancellationToken, Description)
                    .ConfigureAwait(false);
                ResolvedUrls[Url] = answeredAt;
                return refs.Where(r => MirrorRefNames.IsMirrored(r.Key)).ToDictionary(r => r.Key, r => r.Value, StringComparer.Ordinal);
            }
            catch (GitTransportException e)
            {
                throw Explain(e);
            }
        }

        // libgit2 calls a missing local directory an "unsupported URL protocol": say what it is.
        if (LocalPath is { } local && !Directory.Exists(local))
        {
            throw Explain(new GitTransportException(TransportFailureKind.NotFound, $"{Description}: repository not found: {local} does not exist"));
        }
        return Run(() => Repository.ListRemoteReferences(Url)
            .OfType<DirectReference>()
            .Where(r => MirrorRefNames.IsMirrored(r.CanonicalName))
            .ToDictionary(r => r.CanonicalName, r => r.TargetIdentifier, StringComparer.Ordinal), cancellationToken);
    }

    /// <summary>
    /// Creates <paramref name="refs"/> (name → object id) on this http(s) side from a pack file sent as it
    /// is (<see cref="HttpPackPusher"/>); the report says what the side refused, or why nothing was sent.
    /// </summary>
    public async Task<HttpPackPusher.Report> PushPackAsync(IReadOnlyDictionary<string, string> refs, string pack, CancellationToken cancellationToken)
    {
        try
        {
            return await new HttpPackPusher().PushAsync(await GitUrlAsync(cancellationToken).ConfigureAwait(false), Credential(cancellationToken), Timeout, refs, pack,
                cancellationToken, Description).ConfigureAwait(false);
        }
        catch (GitTransportException e)
        {
            throw Explain(e);
        }
    }

    /// <summary>Clone URL → the URL that answered it (after same-origin redirects), for the git CLI, which follows none.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> ResolvedUrls = new(StringComparer.Ordinal);

    /// <summary>
    /// The URL git is given: for http(s), where the side answered when its refs were listed (a same-origin
    /// redirect already followed, so git needs to follow none and the token cannot go elsewhere); for a
    /// local side, its path.
    /// </summary>
    public async Task<string> GitUrlAsync(CancellationToken cancellationToken)
    {
        if (!IsHttp) return Uri.TryCreate(Url, UriKind.Absolute, out var uri) && uri.IsFile ? Url : System.IO.Path.GetFullPath(Url);
        if (!ResolvedUrls.TryGetValue(Url, out var resolved))
        {
            await ListRefsAsync(cancellationToken).ConfigureAwait(false);
            resolved = ResolvedUrls[Url];
        }
        return resolved;
    }

    /// <summary>
    /// git's settings for talking to this side: the token as an Authorization header scoped to the
    /// side's origin (environment only, never an argument or a file), no redirects, and the idle
    /// timeout as curl's low-speed limit.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> GitConfig(string gitUrl)
    {
        var config = new List<KeyValuePair<string, string>>();
        if (!IsHttp) return config;
        var seconds = Math.Max(1, (int)Math.Ceiling(Timeout.TotalSeconds));
        config.Add(new("http.followRedirects", "false"));
        config.Add(new("http.lowSpeedLimit", "1000"));
        config.Add(new("http.lowSpeedTime", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (Credential() is { } credential)
        {
            var origin = new Uri(gitUrl).GetLeftPart(UriPartial.Authority) + "/";
            config.Add(new($"http.{origin}.extraHeader", "Authorization: " + credential.ToAuthorizationHeaderValue()));
        }
        return config;
    }

    /// <summary>
    /// Runs a git command that talks to this side (fetch into the cache, push from it; with no
    /// <paramref name="repository"/>, a clone): <paramref name="arguments"/>
    /// with the side's URL appended, then <paramref name="refspecs"/>. Failures to reach the side are a typed
    /// GitTransportException; a result with per-ref answers (a push's porcelain) is returned for the caller to read.
    /// </summary>
    public async Task<GitProcessResult> RunGitAsync(string? repository, IReadOnlyList<string> arguments, IReadOnlyList<string> refspecs,
        string? standardInput, CancellationToken cancellationToken)
    {
        if (LocalPath is { } local && !Directory.Exists(local))
        {
            throw Explain(new GitTransportException(TransportFailureKind.NotFound, $"{Description}: repository not found: {local} does not exist"));
        }
        var url = await GitUrlAsync(cancellationToken).ConfigureAwait(false);
        GitProcessResult result;
        try
        {
            result = await GitProcess.RunAsync(repository, [.. arguments, url, .. refspecs], GitConfig(url), standardInput, cancellationToken, Timeout)
                .ConfigureAwait(false);
        }
        catch (GitTransportException e) when (e.Kind == TransportFailureKind.Timeout)
        {
            throw Explain(new GitTransportException(TransportFailureKind.Timeout, $"{Description}: {e.Message}"));
        }
        if (!result.Succeeded && result.StandardError.Contains("returned error: 30", StringComparison.Ordinal))
        {
            // Moved since it was listed: list again (which follows or reports the move) before the next try.
            ResolvedUrls.TryRemove(Url, out _);
        }
        return result;
    }

    /// <summary>A typed failure for a git command that could not talk to this side; null when its stderr shows no such failure.</summary>
    public GitTransportException? GitFailure(GitProcessResult result)
    {
        if (result.Succeeded) return null;
        var fatal = result.StandardError.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0)
            .LastOrDefault(l => l.StartsWith("fatal:", StringComparison.Ordinal) || l.StartsWith("error:", StringComparison.Ordinal))
            ?? result.StandardError.Trim();
        var status = System.Text.RegularExpressions.Regex.Match(result.StandardError, @"returned error: (\d{3})");
        var code = status.Success ? int.Parse(status.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : (int?)null;
        var text = result.StandardError;
        // git names the status but not the headers, so a 403 here is never read as a rate limit.
        var answered = code is { } answeredCode ? Unattended.TransportFailures.Classify(answeredCode) : ((TransportFailureKind, string)?)null;
        var (kind, what) = answered switch
        {
            (TransportFailureKind.Moved, var reason) => (TransportFailureKind.Moved, $"{reason}; list it again or update the url in the config file"),
            (var known, var reason) when known != TransportFailureKind.Protocol => (known, reason),
            _ when Mentions(text, "Operation too slow", "timed out", "Timeout was reached") => (TransportFailureKind.Timeout,
                $"no progress from the server within {Timeout.TotalSeconds:0.#} s"),
            _ when Mentions(text, "not found", "does not appear to be a git repository", "does not exist") => (TransportFailureKind.NotFound, "repository not found"),
            _ when Mentions(text, "Could not resolve host") => (TransportFailureKind.BadAddress, "the host name does not resolve"),
            _ when Mentions(text, "Connection refused") => (TransportFailureKind.BadAddress, "nothing accepts connections there"),
            _ when Mentions(text, "Failed to connect", "Connection reset", "early EOF",
                "hung up unexpectedly", "unexpected disconnect", "RPC failed", "Empty reply", "transfer closed", "Recv failure", "Send failure")
                => (TransportFailureKind.Unreachable, "cannot reach the repository"),
            _ => ((TransportFailureKind?)null, ""),
        };
        return kind is { } k ? Explain(new GitTransportException(k, $"{Description}: {what}: {fatal}", code)) : null;
    }

    /// <summary>
    /// Runs a LibGit2Sharp network operation (fetch, push) against this side: over http(s) inside a
    /// transport scope carrying the token, timeout and cancellation; failures as GitTransportException.
    /// </summary>
    public T Run<T>(Func<T> operation, CancellationToken cancellationToken)
    {
        try
        {
            if (!IsHttp) return NativeGitErrors.Run(operation);
            using var scope = TransportScope.Begin(Credential(cancellationToken), Timeout, cancellationToken, Description);
            return scope.Run(() => NativeGitErrors.Run(operation));
        }
        catch (GitTransportException e)
        {
            throw Explain(e);
        }
        catch (LibGit2SharpException e) when (e is not UserCancelledException)
        {
            throw Failure(e);
        }
    }

    public void Run(Action operation, CancellationToken cancellationToken) => Run(() =>
    {
        operation();
        return true;
    }, cancellationToken);

    /// <summary>
    /// Adds what an operator checks first: which variable holds a refused token, or which setting
    /// holds an address that does not answer; and the host.
    /// </summary>
    private GitTransportException Explain(GitTransportException e)
    {
        var setting = $"{(Side == MirrorSide.GitHub ? "github" : "gitlab")}.url";
        var source = App is { } app
            ? $"the token is GitHub App {app.Id}'s installation token (its key comes from the environment variable {app.PrivateKeyEnv})"
            : $"the token comes from the environment variable {TokenEnv}";
        var variable = App?.PrivateKeyEnv ?? TokenEnv;
        var explained = e.Kind is TransportFailureKind.Authentication or TransportFailureKind.Permission && !e.Message.Contains(variable, StringComparison.Ordinal)
            ? new GitTransportException(e.Kind, $"{e.Message} ({source})", e.StatusCode, e.RetryAfter, e)
            : e.Kind is TransportFailureKind.BadAddress && !e.Message.Contains(setting, StringComparison.Ordinal)
            ? new GitTransportException(e.Kind, $"{e.Message.TrimEnd('.')}: check '{setting}' in the configuration file ({HostOnly(Url)})", e.StatusCode, e.RetryAfter, e)
            : e;
        explained.Data[HostKey] = Unattended.AuthCircuitBreaker.HostOf(Url);
        explained.Data[SideKey] = Side;
        return explained;
    }

    /// <summary>A typed failure for an error libgit2 raised while talking to this side.</summary>
    public GitTransportException Failure(Exception e)
    {
        if (e is GitTransportException typed) return typed;
        var message = e.Message;
        var (kind, what) =
            Mentions(message, "not found", "does not exist", "could not find repository") ? (TransportFailureKind.NotFound, "repository not found")
            // Only what looks like the network is transient (and retried); any other git error is not.
            : Mentions(message, "connect", "timed out", "timeout", "resolve", "network", "connection", "unsupported URL protocol", "early EOF")
                ? (TransportFailureKind.Unreachable, "cannot reach the repository")
            : (TransportFailureKind.Protocol, "git error");
        return Explain(new GitTransportException(kind, $"{Description}: {what}: {message}", inner: e));
    }

    /// <summary>scheme://host[:port] of a URL: enough to spot a typo, never a path or credentials.</summary>
    private static string HostOnly(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Authority).Replace(uri.UserInfo + "@", "", StringComparison.Ordinal) : "";

    private static bool Mentions(string message, params string[] words) =>
        words.Any(w => message.Contains(w, StringComparison.OrdinalIgnoreCase));
}
