namespace GitMirror.Core.Transport;

/// <summary>Why talking to a remote failed; decides whether a retry can help.</summary>
public enum TransportFailureKind
{
    /// <summary>401, or a token the server refused: never retried.</summary>
    Authentication,
    /// <summary>403 without rate limiting (missing scope, protected resource): never retried.</summary>
    Permission,
    /// <summary>404: the repository does not exist, or the token cannot see it.</summary>
    NotFound,
    /// <summary>No answer within the timeout.</summary>
    Timeout,
    /// <summary>A connection that failed on the way (reset, TLS, a network down): worth another try.</summary>
    Unreachable,
    /// <summary>
    /// The host name does not resolve, or nothing listens at the address: the configured URL is
    /// wrong (or the server is down for longer than a retry waits). Never retried.
    /// </summary>
    BadAddress,
    /// <summary>429, or 403 with rate-limit headers; RetryAfter says when to come back.</summary>
    RateLimited,
    /// <summary>HTTP 5xx.</summary>
    Server,
    /// <summary>The server said something that is not the git protocol.</summary>
    Protocol,
    /// <summary>
    /// The repository answers from another host, scheme or port (a redirect): a configuration error.
    /// No token is sent there; never retried, never counted as a refused token.
    /// </summary>
    Moved,
}

/// <summary>
/// A failure talking to a git remote or a forge API. The message names the side or host and the
/// status, and never holds a token: it is safe to log and to put in an error record.
/// </summary>
public sealed class GitTransportException : Exception
{
    public GitTransportException(TransportFailureKind kind, string message, int? statusCode = null,
        TimeSpan? retryAfter = null, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        StatusCode = statusCode;
        RetryAfter = retryAfter;
    }

    public TransportFailureKind Kind { get; }

    public int? StatusCode { get; }

    /// <summary>How long the server asked us to wait (Retry-After, or until x-ratelimit-reset).</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>True when trying again later can succeed: timeouts, resets, 5xx, 429.</summary>
    public bool IsTransient => Kind is TransportFailureKind.Timeout or TransportFailureKind.Unreachable
        or TransportFailureKind.RateLimited or TransportFailureKind.Server;
}
