using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace GitMirror.Core.Transport;

/// <summary>
/// One smart-HTTP request and its streamed response, with the transport's rules: the Authorization
/// header goes out with the first request (no 401 round trip, no credential replay), failures become
/// <see cref="GitTransportException"/>s, and the server may stay silent at most the scope's timeout
/// at any point (while answering, or between two reads of a body).
/// </summary>
internal sealed class GitHttpExchange : IDisposable
{
    private const int ChunkSize = 64 * 1024;

    // One client for the process: pooled connections; the timeout is ours (per operation), not HttpClient's.
    private static readonly HttpClient Client = new(new SocketsHttpHandler
    {
        AutomaticDecompression = DecompressionMethods.All,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        // Redirects are ours to follow (FollowAsync): .NET would drop the Authorization header on every
        // redirect and turn a redirected POST into a GET, so a moved project would read as a refused token.
        AllowAutoRedirect = false,
    })
    {
        Timeout = System.Threading.Timeout.InfiniteTimeSpan,
        DefaultRequestHeaders = { UserAgent = { new ProductInfoHeaderValue("git", "2.0"), new ProductInfoHeaderValue("(GitMirror)") } },
    };

    private readonly TransportScope _scope;
    private readonly CancellationTokenSource _silence;
    private readonly CancellationTokenSource _linked;
    private HttpResponseMessage? _response;
    private Stream? _body;

    private GitHttpExchange(TransportScope scope)
    {
        _scope = scope;
        _silence = new CancellationTokenSource();
        _linked = CancellationTokenSource.CreateLinkedTokenSource(_silence.Token, scope.CancellationToken);
        KeepAlive();
    }

    /// <summary>
    /// Sends a GET (<paramref name="body"/> null) or POST to <paramref name="url"/> and waits for the
    /// response headers; the body is then read with <see cref="ReadAsync"/>.
    /// </summary>
    /// <param name="service">git-upload-pack or git-receive-pack: decides content types.</param>
    /// <param name="bodyFile">A file whose bytes follow <paramref name="body"/>, streamed (a pack of any size).</param>
    public static async Task<GitHttpExchange> SendAsync(TransportScope scope, string url, string service,
        ReadOnlyMemory<byte>? body, string? gitProtocol = null, string? bodyFile = null)
    {
        var exchange = new GitHttpExchange(scope);
        try
        {
            await exchange.StartAsync(url, service, body, gitProtocol, bodyFile);
            return exchange;
        }
        catch
        {
            exchange.Dispose();
            throw;
        }
    }

    /// <summary>The URL that answered, after same-origin redirects (the one requested when there were none).</summary>
    public string FinalUrl { get; private set; } = "";

    /// <summary>How many redirects a request may follow (git's curl allows more; a forge needs one).</summary>
    private const int MaxRedirects = 5;

    private async Task StartAsync(string url, string service, ReadOnlyMemory<byte>? body, string? gitProtocol, string? bodyFile)
    {
        FinalUrl = url;
        for (var redirects = 0; ; redirects++)
        {
            await SendOnceAsync(FinalUrl, service, body, gitProtocol, bodyFile);
            if (HttpOrigin.RedirectTarget(_response!, new Uri(FinalUrl)) is not { } location) break;
            _response!.Dispose();
            _response = null;
            // The token may only go back to where it was configured for: same scheme, host and port.
            if (!HttpOrigin.SameOrigin(new Uri(FinalUrl), location))
            {
                throw Fail(new GitTransportException(TransportFailureKind.Moved,
                    $"{_scope.RemoteDescription}: the repository moved to {Describe(location)} (a redirect to another host); " +
                    "no token was sent there. Update the url (or the repository path) in the config file.",
                    (int)HttpStatusCode.MovedPermanently));
            }
            if (redirects == MaxRedirects)
            {
                throw Fail(new GitTransportException(TransportFailureKind.Protocol,
                    $"{_scope.RemoteDescription}: more than {MaxRedirects} redirects (last to {Describe(location)})."));
            }
            FinalUrl = location.AbsoluteUri;
        }

        if (FailureForStatus(_response!) is { } statusFailure) throw Fail(statusFailure);
        var expectedType = body is null ? $"application/x-{service}-advertisement" : $"application/x-{service}-result";
        var contentType = _response!.Content.Headers.ContentType?.MediaType;
        if (!string.Equals(contentType, expectedType, StringComparison.OrdinalIgnoreCase))
        {
            // A login page, a proxy's error page or a dumb HTTP server: not something libgit2 should parse.
            throw Fail(new GitTransportException(TransportFailureKind.Protocol,
                $"{_scope.RemoteDescription}: not a smart git HTTP answer (HTTP {(int)_response.StatusCode}, content type '{contentType}').",
                (int)_response.StatusCode));
        }
        _body = await _response.Content.ReadAsStreamAsync(_linked.Token);
    }

    private async Task SendOnceAsync(string url, string service, ReadOnlyMemory<byte>? body, string? gitProtocol, string? bodyFile)
    {
        using var request = new HttpRequestMessage(body is null ? HttpMethod.Get : HttpMethod.Post, url);
        var expectedType = body is null ? $"application/x-{service}-advertisement" : $"application/x-{service}-result";
        request.Headers.Accept.ParseAdd(expectedType);
        if (_scope.Credential is { } credential)
        {
            if (!credential.AppliesTo(request.RequestUri!))
            {
                // An insteadOf rule or a caller asked for another server: the token stays home.
                throw Fail(new GitTransportException(TransportFailureKind.Permission,
                    $"{_scope.RemoteDescription}: refused to send the token to {HttpOrigin.OriginOf(request.RequestUri!)}: it belongs to {credential.Origin} only."));
            }
            request.Headers.Authorization = credential.ToAuthenticationHeader();
        }
        if (gitProtocol is not null) request.Headers.Add("Git-Protocol", gitProtocol);
        if (body is { } payload)
        {
            request.Content = new ProgressContent(payload, bodyFile, this);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue($"application/x-{service}-request");
        }

        _scope.RecordRequest();
        try
        {
            _response = await Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, _linked.Token);
        }
        catch (Exception exception) when (Classify(exception) is { } failure)
        {
            throw Fail(failure);
        }
    }

    /// <summary>A redirect target fit for a message (<see cref="HttpOrigin.Describe"/>), as the repository's URL: without /info/refs.</summary>
    private static string Describe(Uri location)
    {
        var described = HttpOrigin.Describe(location);
        return described.EndsWith("/info/refs", StringComparison.Ordinal) ? described[..^"/info/refs".Length] : described;
    }

    /// <summary>Reads the next bytes of the response body; 0 at its end.</summary>
    public async Task<int> ReadAsync(Memory<byte> buffer)
    {
        if (_body is null) throw new InvalidOperationException("The exchange has no response body.");
        int read;
        try
        {
            read = await _body.ReadAsync(buffer, _linked.Token);
        }
        catch (Exception exception) when (Classify(exception) is { } failure)
        {
            throw Fail(failure);
        }
        _scope.RecordReceived(read);
        KeepAlive();
        return read;
    }

    /// <summary>Reads exactly <paramref name="buffer"/>.Length bytes; false at a clean end before the first byte.</summary>
    public async Task<bool> ReadExactlyAsync(Memory<byte> buffer)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = await ReadAsync(buffer[filled..]);
            if (read == 0)
            {
                if (filled == 0) return false;
                throw Fail(new GitTransportException(TransportFailureKind.Protocol,
                    $"{_scope.RemoteDescription}: the server's answer ended in the middle of a packet."));
            }
            filled += read;
        }
        return true;
    }

    /// <summary>Records <paramref name="failure"/> in the scope (libgit2 loses exception types) and returns it to throw.</summary>
    public GitTransportException Fail(GitTransportException failure)
    {
        _scope.RecordFailure(failure);
        return failure;
    }

    /// <summary>The server showed a sign of life: give it the whole timeout again.</summary>
    private void KeepAlive()
    {
        if (_scope.Timeout != System.Threading.Timeout.InfiniteTimeSpan) _silence.CancelAfter(_scope.Timeout);
    }

    /// <summary>
    /// The typed failure for an exception out of HttpClient, or null when it must propagate as is
    /// (the caller's cancellation is an <see cref="OperationCanceledException"/>, not a failure).
    /// </summary>
    private GitTransportException? Classify(Exception exception)
    {
        var remote = _scope.RemoteDescription;
        if (exception is OperationCanceledException)
        {
            if (_scope.CancellationToken.IsCancellationRequested) return null;
            if (_silence.IsCancellationRequested)
            {
                return new GitTransportException(TransportFailureKind.Timeout,
                    $"{remote}: no answer from the server within {_scope.Timeout.TotalSeconds:0.#} s.", inner: exception);
            }
            return null;
        }
        return exception switch
        {
            HttpRequestException { HttpRequestError: HttpRequestError.InvalidResponse } =>
                new GitTransportException(TransportFailureKind.Protocol, $"{remote}: the server's answer is not valid HTTP ({exception.Message}).", inner: exception),
            HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError } =>
                new GitTransportException(TransportFailureKind.Unreachable, $"{remote}: TLS connection failed ({exception.Message}).", inner: exception),
            HttpRequestException or IOException when Unattended.TransportFailures.BadAddress(exception) is { } reason =>
                new GitTransportException(TransportFailureKind.BadAddress, $"{remote}: {reason}.", inner: exception),
            HttpRequestException or IOException =>
                new GitTransportException(TransportFailureKind.Unreachable, $"{remote}: cannot reach the server ({exception.Message}).", inner: exception),
            _ => null,
        };
    }

    private GitTransportException? FailureForStatus(HttpResponseMessage response) => response.IsSuccessStatusCode ? null
        : Unattended.TransportFailures.ForStatus(response, _scope.RemoteDescription, DateTimeOffset.UtcNow, tokenSent: _scope.Credential is not null);

    public void Dispose()
    {
        _body?.Dispose();
        _response?.Dispose();
        _linked.Dispose();
        _silence.Dispose();
    }

    /// <summary>
    /// A request body sent in chunks, each one counted and keeping the exchange alive (big pushes take
    /// long): the payload, then the file's bytes read as they go, so memory stays one chunk whatever its size.
    /// </summary>
    private sealed class ProgressContent(ReadOnlyMemory<byte> payload, string? file, GitHttpExchange exchange) : HttpContent
    {
        private readonly long _fileLength = file is null ? 0 : new FileInfo(file).Length;

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            await SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            for (var offset = 0; offset < payload.Length; offset += ChunkSize)
            {
                await SendAsync(stream, payload.Slice(offset, Math.Min(ChunkSize, payload.Length - offset)), cancellationToken);
            }
            if (file is null) return;

            var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(ChunkSize);
            try
            {
                // Shared for delete too: a pack is never rewritten, and Windows must not block the cache's clean-up on us.
                await using var source = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1,
                    FileOptions.Asynchronous | FileOptions.SequentialScan);
                var left = _fileLength;
                while (left > 0)
                {
                    var read = await source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(ChunkSize, left)), cancellationToken);
                    if (read == 0) throw new IOException($"{file} ended {left} bytes early.");
                    await SendAsync(stream, buffer.AsMemory(0, read), cancellationToken);
                    left -= read;
                }
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        private async Task SendAsync(Stream stream, ReadOnlyMemory<byte> chunk, CancellationToken cancellationToken)
        {
            await stream.WriteAsync(chunk, cancellationToken);
            exchange._scope.RecordSent(chunk.Length);
            exchange.KeepAlive();
        }

        protected override bool TryComputeLength(out long length)
        {
            length = payload.Length + _fileLength;
            return true;
        }
    }
}
