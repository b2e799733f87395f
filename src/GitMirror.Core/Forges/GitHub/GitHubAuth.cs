namespace GitMirror.Core.Forges.GitHub;

/// <summary>
/// The GitHub credential of a pair, whichever the config chose: the bot's token from its
/// environment variable, or a GitHub App's installation token for the repository's owner.
/// Every GitHub API client and git operation of a pair gets its token here.
/// </summary>
public static class GitHubAuth
{
    /// <summary>The account part of a GitHub path (owner/name).</summary>
    public static string OwnerOf(string gitHubPath) => gitHubPath.Split('/')[0];

    /// <summary>
    /// The token for the GitHub side of <paramref name="pair"/>; a missing variable or an App that
    /// cannot get a token is a <see cref="ForgeApiException"/> naming what to fix.
    /// </summary>
    public static async Task<string> TokenAsync(MirrorPair pair, CancellationToken ct, Func<string, string?>? environment = null)
    {
        if (pair.GitHubApp is { } app)
        {
            return (await GitHubAppTokens.Shared.TokenAsync(pair.GitHubApi, app, OwnerOf(pair.GitHub), ct).ConfigureAwait(false)).Token;
        }
        Transport.ProcessHardening.ProtectSecrets();
        return (environment ?? Environment.GetEnvironmentVariable)(pair.GitHubTokenEnv) is { } token && !string.IsNullOrWhiteSpace(token)
            ? token.Trim()
            : throw new ForgeApiException(MirrorSide.GitHub, ForgeFailureKind.Authentication,
                $"the GitHub bot's token is missing: set the environment variable {pair.GitHubTokenEnv} (or configure github.app)");
    }

    /// <summary>
    /// An API client for the GitHub side of <paramref name="pair"/>: with an App, one that asks for
    /// the current installation token before each request, so it stays valid however long it lives.
    /// </summary>
    public static GitHubForge ApiFor(MirrorPair pair, Func<string, string?>? environment = null, HttpMessageHandler? handler = null) =>
        pair.GitHubApp is not null
            ? GitHubForge.WithBearer(pair.GitHubApi, () => TokenAsync(pair, CancellationToken.None, environment), handler)
            : new GitHubForge(pair.GitHubApi, TokenAsync(pair, CancellationToken.None, environment).GetAwaiter().GetResult(), handler);

    /// <summary>What a failure to get an App token means to the transport: never retried unless GitHub was unreachable or busy.</summary>
    public static Transport.TransportFailureKind TransportKindOf(ForgeFailureKind kind) => kind switch
    {
        ForgeFailureKind.RateLimited => Transport.TransportFailureKind.RateLimited,
        ForgeFailureKind.Server => Transport.TransportFailureKind.Server,
        ForgeFailureKind.Unreachable => Transport.TransportFailureKind.Unreachable,
        ForgeFailureKind.Timeout => Transport.TransportFailureKind.Timeout,
        ForgeFailureKind.Permission => Transport.TransportFailureKind.Permission,
        ForgeFailureKind.NotFound => Transport.TransportFailureKind.Permission,
        _ => Transport.TransportFailureKind.Authentication,
    };
}
