using System.Net;
using GitMirror.Core.Report;
using GitMirror.Core.Transport;
using GitMirror.Core.Unattended;

namespace GitMirror.Core.Forges;

/// <summary>Why a forge API call failed; decides whether waiting can help and how the cmdlet reports it.</summary>
public enum ForgeFailureKind
{
    /// <summary>401: the token is wrong, expired or revoked.</summary>
    Authentication,
    /// <summary>403 without rate limiting: a missing scope or permission.</summary>
    Permission,
    NotFound,
    /// <summary>400 or 422: the server refused the request's content (names, masking rules, visibility).</summary>
    Invalid,
    /// <summary>409: the thing exists already, or the repository is empty.</summary>
    Conflict,
    /// <summary>429, or 403 with rate-limit headers; RetryAfter says when to come back.</summary>
    RateLimited,
    Server,
    Unreachable,
    Timeout,
    /// <summary>The server redirected to another origin (scheme, host, port): the token is never sent there.</summary>
    RedirectRefused,
}

/// <summary>
/// A forge REST API call that failed. The message names the forge, the call and the status and
/// carries the server's own explanation; it never holds a token, so it is safe to log and to put in
/// an error record.
/// </summary>
public sealed class ForgeApiException : Exception
{
    public ForgeApiException(MirrorSide forge, ForgeFailureKind kind, string message, int? statusCode = null,
        string? serverMessage = null, IReadOnlyDictionary<string, string[]>? fieldErrors = null,
        TimeSpan? retryAfter = null, Exception? inner = null)
        : base(ServerText.Printable(ProcessSecrets.Scrub(message)), inner)
    {
        Forge = forge;
        Kind = kind;
        StatusCode = statusCode;
        ServerMessage = serverMessage is null ? null : ServerText.Printable(ProcessSecrets.Scrub(serverMessage));
        FieldErrors = fieldErrors ?? new Dictionary<string, string[]>();
        RetryAfter = retryAfter;
    }

    public MirrorSide Forge { get; }

    public ForgeFailureKind Kind { get; }

    public int? StatusCode { get; }

    /// <summary>What the server said (GitLab's <c>message</c>, GitHub's <c>message</c>), flattened to one line.</summary>
    public string? ServerMessage { get; }

    /// <summary>Per-field validation messages (GitLab <c>{"message": {"path": ["has already been taken"]}}</c>).</summary>
    public IReadOnlyDictionary<string, string[]> FieldErrors { get; }

    public TimeSpan? RetryAfter { get; }

    /// <summary>
    /// The failure kind an HTTP status stands for when the body tells no more: the engine's one
    /// reading of a status (<see cref="TransportFailures.Classify"/>), plus 409, which only an API
    /// answers. <paramref name="rateLimited"/>: the headers say the rate limit is used up
    /// (<see cref="TransportFailures.IsRateLimited"/>).
    /// </summary>
    public static ForgeFailureKind KindOf(HttpStatusCode status, bool rateLimited = false) =>
        status == HttpStatusCode.Conflict && !rateLimited ? ForgeFailureKind.Conflict
        : KindOf(TransportFailures.Classify((int)status, rateLimited).Kind);

    /// <summary>The one mapping of the engine's failure kinds onto a forge API's: an answer that is not git's is a refused request.</summary>
    public static ForgeFailureKind KindOf(TransportFailureKind kind) => kind switch
    {
        TransportFailureKind.Authentication => ForgeFailureKind.Authentication,
        TransportFailureKind.Permission => ForgeFailureKind.Permission,
        TransportFailureKind.NotFound => ForgeFailureKind.NotFound,
        TransportFailureKind.RateLimited => ForgeFailureKind.RateLimited,
        TransportFailureKind.Timeout => ForgeFailureKind.Timeout,
        TransportFailureKind.Unreachable or TransportFailureKind.BadAddress => ForgeFailureKind.Unreachable,
        TransportFailureKind.Server => ForgeFailureKind.Server,
        TransportFailureKind.Moved => ForgeFailureKind.RedirectRefused,
        _ => ForgeFailureKind.Invalid,
    };

    /// <summary>
    /// A copy of an exception chain safe to keep as InnerException: each level becomes a plain
    /// exception holding only its type name and scrubbed message. The originals (Octokit's carry the
    /// whole HTTP response, which a server may have filled with the token it received) are dropped,
    /// so <c>$Error[0] | Format-List * -Force</c> cannot show the token.
    /// </summary>
    internal static Exception? Sanitize(Exception? exception, string? secret) => exception is null ? null
        : new ScrubbedException($"{exception.GetType().Name}: {Scrub(exception.Message, secret)}", Sanitize(exception.InnerException, secret));

    /// <summary>Removes a secret from text that came from elsewhere (a server message may echo input).</summary>
    internal static string Scrub(string text, string? secret) =>
        ProcessSecrets.Scrub(string.IsNullOrEmpty(secret) ? text : text.Replace(secret, "***", StringComparison.Ordinal));
}

/// <summary>What is left of a third-party exception once its secrets are removed: its type name and message.</summary>
public sealed class ScrubbedException(string message, Exception? inner) : Exception(message, inner);
