using System.Net.Http.Headers;
using System.Text;

namespace GitMirror.Core.Transport;

/// <summary>
/// Who we are to a git server: a user name and a token sent as the Basic auth password.
/// <see cref="ToString"/> redacts the token, so a credential can sit in logged objects safely.
/// </summary>
public sealed record GitCredential(string UserName, string Token)
{
    /// <summary>GitHub accepts any user name with a token; this one is what GitHub Apps and Actions use.</summary>
    public const string GitHubUserName = "x-access-token";

    /// <summary>GitLab's documented user name for token authentication over HTTPS.</summary>
    public const string GitLabUserName = "oauth2";

    public static GitCredential ForGitHub(string token) => new(GitHubUserName, token);

    public static GitCredential ForGitLab(string token) => new(GitLabUserName, token);

    /// <summary>
    /// The origin (scheme://host:port) the token belongs to; null: any (tests, explicit callers).
    /// A request elsewhere (an insteadOf rewrite, a redirect) is refused rather than authenticated.
    /// </summary>
    public string? Origin { get; init; }

    /// <summary>This credential bound to the origin of <paramref name="url"/>.</summary>
    public GitCredential For(string url) => this with { Origin = HttpOrigin.OriginOf(new Uri(url, UriKind.Absolute)) };

    /// <summary>Whether the token may be sent with a request for <paramref name="url"/>.</summary>
    public bool AppliesTo(Uri url) => Origin is null || string.Equals(Origin, HttpOrigin.OriginOf(url), StringComparison.OrdinalIgnoreCase);

    /// <summary>The value of an <c>Authorization</c> header: <c>Basic base64(user:token)</c>.</summary>
    public string ToAuthorizationHeaderValue() => "Basic " + EncodedUserAndToken();

    internal AuthenticationHeaderValue ToAuthenticationHeader() => new("Basic", EncodedUserAndToken());

    private string EncodedUserAndToken() => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{UserName}:{Token}"));

    public override string ToString() => $"GitCredential {{ UserName = {UserName}, Token = *** }}";
}
