using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using GitMirror.Core.Observe;
using GitMirror.Core.Transport;

namespace GitMirror.Core.Lfs;

/// <summary>
/// An http(s) side's LFS objects through the batch API (<c>&lt;repo&gt;.git/info/lfs/objects/batch</c>,
/// basic transfer). The bot's token goes only as an Authorization header and only to the
/// configured origin (scheme, host, port). A transfer URL on another origin (object storage, a CDN)
/// gets only the headers the batch answer gave for it, as the LFS protocol intends; redirects are
/// followed by hand under the same rule.
/// </summary>
public sealed class LfsHttpStore : LfsStore
{
    private const string LfsMediaType = "application/vnd.git-lfs+json";
    private const int MaxRedirects = 5;

    // Our own redirect handling decides which headers a new location gets.
    private static readonly HttpClient Client = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
        DefaultRequestHeaders = { UserAgent = { new ProductInfoHeaderValue("git-lfs", "3.0"), new ProductInfoHeaderValue("(GitMirror)") } },
    };

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    private readonly Uri _batch;

    public LfsHttpStore(RemoteEndpoint endpoint) : base(endpoint)
    {
        _batch = new Uri(endpoint.Url.TrimEnd('/') + "/info/lfs/objects/batch");
    }

    public override Task<IReadOnlyList<LfsObjectAnswer>> OfferAsync(string? refName, IReadOnlyList<LfsPointer> objects, CancellationToken cancellationToken) =>
        InBatchesAsync(objects, async chunk => (await BatchAsync("upload", refName, chunk, cancellationToken).ConfigureAwait(false))
            .Select(x => x.Answer.Error is { } error ? new LfsObjectAnswer(x.Pointer, LfsObjectState.Refused, Explain(error))
                : x.Answer.Actions?.GetValueOrDefault("upload") is { } upload
                    ? new LfsObjectAnswer(x.Pointer, LfsObjectState.Wanted, Action: new Transfer(upload, x.Answer.Actions.GetValueOrDefault("verify")))
                : new LfsObjectAnswer(x.Pointer, LfsObjectState.Present))
            .ToList());

    public override Task<IReadOnlyList<LfsObjectAnswer>> RequestAsync(string? refName, IReadOnlyList<LfsPointer> objects, CancellationToken cancellationToken) =>
        InBatchesAsync(objects, async chunk => (await BatchAsync("download", refName, chunk, cancellationToken).ConfigureAwait(false))
            .Select(x => x.Answer.Error is { Code: 404 or 410 } missing ? new LfsObjectAnswer(x.Pointer, LfsObjectState.Missing, Explain(missing))
                : x.Answer.Error is { } error ? new LfsObjectAnswer(x.Pointer, LfsObjectState.Refused, Explain(error))
                : x.Answer.Actions?.GetValueOrDefault("download") is { } download
                    ? new LfsObjectAnswer(x.Pointer, LfsObjectState.Available, Action: new Transfer(download, null))
                : new LfsObjectAnswer(x.Pointer, LfsObjectState.Missing, "the server offered no download"))
            .ToList());

    public override async Task<Stream> OpenReadAsync(LfsObjectAnswer available, CancellationToken cancellationToken)
    {
        var action = ((Transfer)available.Action!).Primary;
        var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            var href = Href(action);
            var sameAsAction = href;
            for (var hop = 0; ; hop++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, href);
                Authorize(request, action, applyActionHeaders: HttpOrigin.SameOrigin(href, sameAsAction));
                var response = await SendAsync(request, idle, cancellationToken, HttpCompletionOption.ResponseHeadersRead, $"download of {available.Pointer.Describe()}").ConfigureAwait(false);
                if (HttpOrigin.RedirectTarget(response, href) is { } location && hop < MaxRedirects)
                {
                    response.Dispose();
                    href = location;
                    RequireHttp(href);
                    continue;
                }
                if (!response.IsSuccessStatusCode)
                {
                    var failure = await FailureAsync(response, $"download of LFS object {available.Pointer.Describe()}").ConfigureAwait(false);
                    response.Dispose();
                    throw failure;
                }
                var body = await response.Content.ReadAsStreamAsync(idle.Token).ConfigureAwait(false);
                return new IdleTimeoutStream(body, idle, Endpoint.Timeout, response);
            }
        }
        catch
        {
            idle.Dispose();
            throw;
        }
    }

    public override async Task WriteAsync(LfsObjectAnswer wanted, Stream content, CancellationToken cancellationToken)
    {
        var transfer = (Transfer)wanted.Action!;
        var what = $"LFS object {wanted.Pointer.Describe()}";
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using (var request = new HttpRequestMessage(HttpMethod.Put, Href(transfer.Primary)))
        {
            Authorize(request, transfer.Primary, applyActionHeaders: true);
            // Streamed with its exact length; the idle timer restarts with every read of the source.
            var body = new IdleTimeoutStream(content, idle, Endpoint.Timeout, owner: null);
            request.Content = new StreamContent(body, 81920);
            request.Content.Headers.ContentLength = wanted.Pointer.Size;
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            using var response = await SendAsync(request, idle, cancellationToken, HttpCompletionOption.ResponseContentRead, $"upload of {what}").ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) throw await FailureAsync(response, $"upload of {what}").ConfigureAwait(false);
        }

        if (transfer.Verify is { } verify)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, Href(verify));
            Authorize(request, verify, applyActionHeaders: true);
            request.Headers.Accept.ParseAdd(LfsMediaType);
            request.Content = JsonContent(new BatchObject { Oid = wanted.Pointer.Oid, Size = wanted.Pointer.Size });
            using var verifyIdle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            verifyIdle.CancelAfter(Endpoint.Timeout);
            using var response = await SendAsync(request, verifyIdle, cancellationToken, HttpCompletionOption.ResponseContentRead, $"verification of {what}").ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) throw await FailureAsync(response, $"verification of {what}").ConfigureAwait(false);
        }
    }

    private async Task<IReadOnlyList<(LfsPointer Pointer, BatchObject Answer)>> BatchAsync(string operation, string? refName,
        IReadOnlyList<LfsPointer> objects, CancellationToken cancellationToken)
    {
        var credential = Endpoint.Credential();
        using var request = new HttpRequestMessage(HttpMethod.Post, _batch);
        request.Headers.Accept.ParseAdd(LfsMediaType);
        if (credential is not null) request.Headers.Authorization = credential.ToAuthenticationHeader();
        request.Content = JsonContent(new BatchRequest
        {
            Operation = operation,
            Ref = refName is null ? null : new BatchRef { Name = refName },
            Objects = objects.Select(o => new BatchObject { Oid = o.Oid, Size = o.Size }).ToList(),
        });
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Endpoint.Timeout);
        using var response = await SendAsync(request, timeout, cancellationToken, HttpCompletionOption.ResponseContentRead, "LFS batch request").ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw await FailureAsync(response, $"LFS {operation} request").ConfigureAwait(false);

        BatchResponse? answer;
        try
        {
            answer = JsonSerializer.Deserialize<BatchResponse>(await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false), Json);
        }
        catch (JsonException e)
        {
            throw new LfsException($"{Description}: the LFS batch answer is not valid JSON ({e.Message})", e);
        }
        if (answer?.Transfer is { } transfer && transfer != "basic")
        {
            throw new LfsException($"{Description}: the LFS server chose the '{transfer}' transfer; only 'basic' is supported");
        }
        var byOid = (answer?.Objects ?? []).Where(o => o.Oid is not null).GroupBy(o => o.Oid!).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        return objects.Select(o => (o, byOid.TryGetValue(o.Oid, out var a) ? a
            : new BatchObject { Oid = o.Oid, Error = new BatchError { Code = 0, Message = "the server's batch answer did not mention it" } })).ToList();
    }

    /// <summary>
    /// The headers a transfer request gets: the action's own (when it goes where the action said), and
    /// our token only when the action brought no Authorization of its own and the URL is our origin.
    /// </summary>
    private void Authorize(HttpRequestMessage request, BatchAction action, bool applyActionHeaders)
    {
        var own = false;
        if (applyActionHeaders)
        {
            foreach (var (name, value) in action.Header ?? [])
            {
                request.Headers.TryAddWithoutValidation(name, value);
                own |= string.Equals(name, "Authorization", StringComparison.OrdinalIgnoreCase);
            }
        }
        if (!own && HttpOrigin.SameOrigin(request.RequestUri!, _batch) && Endpoint.Credential() is { } credential)
        {
            request.Headers.Authorization = credential.ToAuthenticationHeader();
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationTokenSource idle, CancellationToken cancellationToken,
        HttpCompletionOption completion, string what)
    {
        idle.CancelAfter(Endpoint.Timeout);
        try
        {
            return await Client.SendAsync(request, completion, idle.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (idle.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // Our silence timer, not the caller: a failure to report. The caller's cancellation propagates as is.
            throw new LfsException($"{Description}: {what}: no answer within {Endpoint.Timeout.TotalSeconds:0} s", e);
        }
        catch (HttpRequestException e) when (e.InnerException is LfsException inner)
        {
            throw inner; // the content stream found the source object wrong
        }
        catch (LfsException)
        {
            throw;
        }
        catch (HttpRequestException e)
        {
            throw new LfsException($"{Description}: {what}: cannot reach {request.RequestUri!.GetLeftPart(UriPartial.Authority)} ({e.Message})", e);
        }
    }

    private async Task<LfsException> FailureAsync(HttpResponseMessage response, string what)
    {
        var status = (int)response.StatusCode;
        var serverMessage = await ServerMessageAsync(response).ConfigureAwait(false);
        var said = serverMessage is null ? "" : $": {serverMessage}";
        var retryAfter = Unattended.TransportFailures.RetryAfter(response.Headers, DateTimeOffset.UtcNow);
        var (kind, reason) = Unattended.TransportFailures.Classify(status, Unattended.TransportFailures.IsRateLimited(status, response.Headers), retryAfter);
        var message = status switch
        {
            // What the LFS protocol gives these answers to mean; any other reads as the same status anywhere else.
            404 => $"{Description}: {what}: Git LFS is not enabled for this repository, or the token cannot see it (HTTP 404){said}",
            413 => $"{Description}: {what} refused: too large (HTTP 413){said}",
            422 => $"{Description}: {what} refused (HTTP 422){said}",
            501 => $"{Description}: {what}: Git LFS is not enabled on this server (HTTP 501){said}",
            507 => $"{Description}: {what} refused: storage quota exceeded (HTTP 507){said}",
            _ => $"{Description}: {what}: {reason}{said}" + (kind is TransportFailureKind.Authentication or TransportFailureKind.Permission
                ? $" (the token comes from the environment variable {Endpoint.TokenEnv})" : ""),
        };
        return new LfsException(message, statusCode: status);
    }

    /// <summary>The "message" of an LFS error body (JSON), or the start of a plain-text body; never more than a line.</summary>
    private static async Task<string?> ServerMessageAsync(HttpResponseMessage response)
    {
        string text;
        try
        {
            // An error page can be anything: read at most 64 KiB of it.
            await using var body = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
            var buffer = new byte[64 * 1024];
            var filled = 0;
            int read;
            while (filled < buffer.Length && (read = await body.ReadAsync(buffer.AsMemory(filled)).ConfigureAwait(false)) > 0) filled += read;
            text = System.Text.Encoding.UTF8.GetString(buffer, 0, filled);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return null;
        }
        if (text.Length == 0) return null;
        try
        {
            if (JsonSerializer.Deserialize<BatchError>(text, Json)?.Message is { Length: > 0 } message) text = message;
        }
        catch (JsonException)
        {
        }
        text = text.ReplaceLineEndings(" ").Trim();
        return text.Length > 300 ? text[..300] + "…" : text;
    }

    private string Explain(BatchError error) => error.Code > 0 ? $"{error.Message} (code {error.Code})" : error.Message ?? "refused";

    private Uri Href(BatchAction action)
    {
        if (!Uri.TryCreate(action.Href, UriKind.Absolute, out var href)) throw new LfsException($"{Description}: the LFS server gave an invalid transfer URL");
        RequireHttp(href);
        return href;
    }

    private void RequireHttp(Uri href)
    {
        if (href.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(href.UserInfo))
        {
            throw new LfsException($"{Description}: the LFS server gave a transfer URL that is not plain http(s)");
        }
    }

    private static ByteArrayContent JsonContent<T>(T value)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(value, Json));
        content.Headers.ContentType = new MediaTypeHeaderValue(LfsMediaType);
        return content;
    }

    /// <summary>The primary action (download or upload) and, for uploads, the verify action when offered.</summary>
    private sealed record Transfer(BatchAction Primary, BatchAction? Verify);

    private sealed class BatchRequest
    {
        [JsonPropertyName("operation")] public required string Operation { get; init; }
        [JsonPropertyName("transfers")] public string[] Transfers { get; init; } = ["basic"];
        [JsonPropertyName("ref")] public BatchRef? Ref { get; init; }
        [JsonPropertyName("objects")] public required List<BatchObject> Objects { get; init; }
        [JsonPropertyName("hash_algo")] public string HashAlgorithm { get; init; } = "sha256";
    }

    private sealed class BatchRef
    {
        [JsonPropertyName("name")] public required string Name { get; init; }
    }

    private sealed class BatchResponse
    {
        [JsonPropertyName("transfer")] public string? Transfer { get; init; }
        [JsonPropertyName("objects")] public List<BatchObject>? Objects { get; init; }
    }

    private sealed class BatchObject
    {
        [JsonPropertyName("oid")] public string? Oid { get; init; }
        [JsonPropertyName("size")] public long Size { get; init; }
        [JsonPropertyName("actions")] public Dictionary<string, BatchAction>? Actions { get; init; }
        [JsonPropertyName("error")] public BatchError? Error { get; init; }
    }

    private sealed class BatchAction
    {
        [JsonPropertyName("href")] public string? Href { get; init; }
        [JsonPropertyName("header")] public Dictionary<string, string>? Header { get; init; }
    }

    private sealed class BatchError
    {
        [JsonPropertyName("code")] public int Code { get; init; }
        [JsonPropertyName("message")] public string? Message { get; init; }
    }

    /// <summary>A body stream that restarts an idle timer on every read and disposes what it came with.</summary>
    private sealed class IdleTimeoutStream(Stream inner, CancellationTokenSource idle, TimeSpan timeout, IDisposable? owner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, idle.Token);
            var read = await inner.ReadAsync(buffer, linked.Token).ConfigureAwait(false);
            if (!idle.IsCancellationRequested) idle.CancelAfter(timeout);
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                if (owner is not null)
                {
                    owner.Dispose();
                    idle.Dispose();
                }
            }
            base.Dispose(disposing);
        }
    }
}
