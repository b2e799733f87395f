using LibGit2Sharp;

namespace GitMirror.Core.Transport;

/// <summary>
/// Settings and accounting for the git HTTP traffic of one operation (a fetch, a push).
/// libgit2 calls the HTTP subtransport synchronously on the thread that called
/// <c>Network.Fetch</c>/<c>Push</c>, so an <see cref="AsyncLocal{T}"/> carries the scope there;
/// begin it in the same method (or a caller) of the one that calls LibGit2Sharp.
/// </summary>
public sealed class TransportScope : IDisposable
{
    /// <summary>Used when libgit2 talks HTTP without a scope, so a hung server cannot block forever.</summary>
    internal static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(2);

    private static readonly AsyncLocal<TransportScope?> CurrentScope = new();

    private readonly TransportScope? _outer;
    private readonly TransportScope? _countInto;
    private readonly bool _installed;
    private long _bytesSent;
    private long _bytesReceived;
    private int _requests;
    private GitTransportException? _failure;

    private TransportScope(GitCredential? credential, TimeSpan timeout, CancellationToken cancellationToken,
        string remoteDescription, bool install)
    {
        if (timeout <= TimeSpan.Zero && timeout != System.Threading.Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must be positive.");
        }
        Credential = credential;
        this.Timeout = timeout;
        CancellationToken = cancellationToken;
        RemoteDescription = remoteDescription;
        _installed = install;
        if (install)
        {
            _outer = CurrentScope.Value;
            CurrentScope.Value = this;
        }
        else
        {
            _countInto = CurrentScope.Value;
        }
    }

    /// <summary>
    /// Makes this scope current for git HTTP(S) traffic of this thread and async flow until disposed,
    /// and registers the HTTP subtransport with libgit2 if that has not happened yet.
    /// </summary>
    /// <param name="timeout">How long the server may stay silent: waiting for an answer, or between two reads of a body.</param>
    /// <param name="remoteDescription">Names the remote in messages, e.g. <c>GitLab (team/repo)</c>; never a URL with secrets.</param>
    public static TransportScope Begin(GitCredential? credential, TimeSpan timeout, CancellationToken cancellationToken,
        string remoteDescription)
    {
        GitHttpTransport.EnsureRegistered();
        return new TransportScope(credential, timeout, cancellationToken, remoteDescription, install: true);
    }

    /// <summary>A scope that is not installed as current (ref listing), counting into the current one if any.</summary>
    internal static TransportScope Detached(GitCredential? credential, TimeSpan timeout, CancellationToken cancellationToken,
        string remoteDescription) => new(credential, timeout, cancellationToken, remoteDescription, install: false);

    public static TransportScope? Current => CurrentScope.Value;

    public GitCredential? Credential { get; }

    public TimeSpan Timeout { get; }

    public CancellationToken CancellationToken { get; }

    public string RemoteDescription { get; }

    public long BytesSent => Interlocked.Read(ref _bytesSent);

    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>
    /// The typed failure the subtransport hit. libgit2 turns the subtransport's exception into a plain
    /// <see cref="LibGit2SharpException"/> with only its message; this keeps the original.
    /// </summary>
    public GitTransportException? Failure => Volatile.Read(ref _failure);

    /// <summary>
    /// Runs a LibGit2Sharp network call (Fetch, Push, ListReferences) and rethrows its failure as what
    /// actually happened: <see cref="OperationCanceledException"/> when cancelled, the typed
    /// <see cref="GitTransportException"/> when the HTTP transport failed, else the original exception.
    /// </summary>
    public void Run(Action operation) => Run<object?>(() =>
    {
        operation();
        return null;
    });

    /// <inheritdoc cref="Run(Action)"/>
    public T Run<T>(Func<T> operation)
    {
        CancellationToken.ThrowIfCancellationRequested();
        Interlocked.Exchange(ref _failure, null); // a failure of an earlier operation in this scope is not this one's
        try
        {
            return operation();
        }
        catch (LibGit2SharpException exception)
        {
            var translated = Translate(exception);
            if (ReferenceEquals(translated, exception)) throw;
            throw translated;
        }
    }

    /// <summary>What to throw instead of <paramref name="exception"/>, caught from a LibGit2Sharp network call in this scope.</summary>
    public Exception Translate(Exception exception)
    {
        if (CancellationToken.IsCancellationRequested)
        {
            return new OperationCanceledException($"{RemoteDescription}: cancelled.", exception, CancellationToken);
        }
        return Failure ?? exception;
    }

    internal void RecordRequest()
    {
        Interlocked.Increment(ref _requests);
        _countInto?.RecordRequest();
    }

    internal void RecordSent(long bytes)
    {
        Interlocked.Add(ref _bytesSent, bytes);
        _countInto?.RecordSent(bytes);
    }

    internal void RecordReceived(long bytes)
    {
        Interlocked.Add(ref _bytesReceived, bytes);
        _countInto?.RecordReceived(bytes);
    }

    /// <summary>Keeps the first failure: later ones are usually consequences of it.</summary>
    internal void RecordFailure(GitTransportException failure) => Interlocked.CompareExchange(ref _failure, failure, null);

    public void Dispose()
    {
        // Only restore when this scope is still the current one, so disposing out of order cannot resurrect a stale scope.
        if (_installed && ReferenceEquals(CurrentScope.Value, this)) CurrentScope.Value = _outer;
    }
}
