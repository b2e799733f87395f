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
        Url = url;
        TokenEnv = tokenEnv;
        Description = $"{side} ({path})";
    }

    /// <summary>Exception.Data key naming the host a failure came from (for the auth circuit breaker).</summary>
    public const string HostKey = "GitMirror.Host";

    public MirrorSide Side { get; }

    public string Url { get; }

    /// <summary>The environment variable that holds this side's token (used for http and https only).</summary>
    public string TokenEnv { get; }

    /// <summary>"GitLab (team/repo)": how messages name the side; never a URL with credentials.</summary>
    public string Description { get; }

    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    public bool IsHttp => Url.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
        || Url.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>The directory of a local (path or file://) remote; null for http and https.</summary>
    public string? LocalPath => IsHttp ? null
        : Uri.TryCreate(Url, UriKind.Absolute, out var uri) && uri.IsFile ? uri.LocalPath
        : Url;

    public static RemoteEndpoint For(MirrorPair pair, MirrorSide side) =>
        new(side, pair.PathOf(side), pair.UrlOf(side), side == MirrorSide.GitHub ? pair.GitHubTokenEnv : pair.GitLabTokenEnv);

    /// <summary>The bot's credential for an http(s) side; a missing variable fails at once, naming it.</summary>
    public GitCredential? Credential()
    {
        if (!IsHttp) return null;
        ProcessHardening.ProtectSecrets();
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
                var refs = await new HttpRefLister().ListAsync(Url, Credential(), Timeout, cancellationToken, Description).ConfigureAwait(false);
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
    /// Runs a LibGit2Sharp network operation (fetch, push) against this side: over http(s) inside a
    /// transport scope carrying the token, timeout and cancellation; failures as GitTransportException.
    /// </summary>
    public T Run<T>(Func<T> operation, CancellationToken cancellationToken)
    {
        try
        {
            if (!IsHttp) return NativeGitErrors.Run(operation);
            using var scope = TransportScope.Begin(Credential(), Timeout, cancellationToken, Description);
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

    /// <summary>Adds which variable holds a refused token (the first thing an operator checks) and the host.</summary>
    private GitTransportException Explain(GitTransportException e)
    {
        var explained = e.Kind is TransportFailureKind.Authentication or TransportFailureKind.Permission && !e.Message.Contains(TokenEnv, StringComparison.Ordinal)
            ? new GitTransportException(e.Kind, $"{e.Message} (the token comes from the environment variable {TokenEnv})", e.StatusCode, e.RetryAfter, e)
            : e;
        explained.Data[HostKey] = Unattended.AuthCircuitBreaker.HostOf(Url);
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

    private static bool Mentions(string message, params string[] words) =>
        words.Any(w => message.Contains(w, StringComparison.OrdinalIgnoreCase));
}
