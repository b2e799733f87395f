using GitMirror.Core.Transport;
using LibGit2Sharp;

namespace GitMirror.Core.Observe;

/// <summary>One side of a pair as the engine reaches it: its URL, and how to talk to it.</summary>
public sealed class RemoteEndpoint
{
    private RemoteEndpoint(MirrorSide side, string path, string url, string tokenEnv)
    {
        Side = side;
        Url = url;
        TokenEnv = tokenEnv;
        Description = $"{side} ({path})";
    }

    public MirrorSide Side { get; }

    public string Url { get; }

    /// <summary>The environment variable that holds this side's token (used for http and https only).</summary>
    public string TokenEnv { get; }

    /// <summary>"GitLab (team/repo)": how messages name the side; never a URL with credentials.</summary>
    public string Description { get; }

    public bool IsHttp => Url.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
        || Url.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    public static RemoteEndpoint For(MirrorPair pair, MirrorSide side) =>
        new(side, pair.PathOf(side), pair.UrlOf(side), side == MirrorSide.GitHub ? pair.GitHubTokenEnv : pair.GitLabTokenEnv);

    /// <summary>The directory of a local (path or file://) remote; null for http and https.</summary>
    public string? LocalPath => IsHttp ? null
        : Uri.TryCreate(Url, UriKind.Absolute, out var uri) && uri.IsFile ? uri.LocalPath
        : Url;

    /// <summary>The branches and tags of this side: ref name → object id (a tag's own object, not the peeled commit).</summary>
    public IReadOnlyDictionary<string, string> ListRefs(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // libgit2 calls a missing local directory an "unsupported URL protocol": say what it is.
        if (LocalPath is { } local && !Directory.Exists(local))
        {
            throw new GitTransportException(TransportFailureKind.NotFound, $"{Description}: repository not found: {local} does not exist");
        }
        try
        {
            return NativeGitErrors.Run(() => Repository.ListRemoteReferences(Url))
                .OfType<DirectReference>()
                .Where(r => MirrorRefNames.IsMirrored(r.CanonicalName))
                .ToDictionary(r => r.CanonicalName, r => r.TargetIdentifier, StringComparer.Ordinal);
        }
        catch (LibGit2SharpException e)
        {
            throw Failure(e);
        }
    }

    /// <summary>A typed failure for an error libgit2 raised while talking to this side.</summary>
    public GitTransportException Failure(Exception e)
    {
        if (e is GitTransportException typed) return typed;
        var message = e.Message;
        var kind = message.Contains("not found", StringComparison.OrdinalIgnoreCase)
            || message.Contains("does not exist", StringComparison.OrdinalIgnoreCase)
            || message.Contains("failed to resolve path", StringComparison.OrdinalIgnoreCase)
            || message.Contains("could not find repository", StringComparison.OrdinalIgnoreCase)
                ? TransportFailureKind.NotFound
                : TransportFailureKind.Unreachable;
        var what = kind == TransportFailureKind.NotFound ? "repository not found" : "cannot reach the repository";
        return new GitTransportException(kind, $"{Description}: {what} at {Url}: {message}", inner: e);
    }
}
