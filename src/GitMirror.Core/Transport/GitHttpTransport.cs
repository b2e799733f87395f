using LibGit2Sharp;

namespace GitMirror.Core.Transport;

/// <summary>
/// Routes libgit2's http:// and https:// traffic through <see cref="HttpSmartSubtransport"/> (HttpClient):
/// timeouts, cancellation, header authentication without credential replays, byte counts.
/// </summary>
public static class GitHttpTransport
{
    private static readonly object Gate = new();
    private static bool _registered;

    /// <summary>Registers the subtransport for http and https, once per process (the registration is global to libgit2).</summary>
    public static void EnsureRegistered()
    {
        lock (Gate)
        {
            if (_registered) return;
            GlobalSettings.RegisterSmartSubtransport<HttpSmartSubtransport>("http");
            GlobalSettings.RegisterSmartSubtransport<HttpSmartSubtransport>("https");
            _registered = true;
        }
    }
}

/// <summary>
/// libgit2's smart protocol over HttpClient. libgit2 creates one per remote operation and asks it
/// for one stream per HTTP request (stateless RPC, hence <see cref="RpcSmartSubtransport"/>).
/// It never calls libgit2's credential or certificate callbacks: the scope's token goes out as a
/// header, and HttpClient validates certificates against the system store.
/// </summary>
internal sealed class HttpSmartSubtransport : RpcSmartSubtransport
{
    protected override SmartSubtransportStream Action(string url, GitSmartSubtransportAction action)
    {
        var scope = TransportScope.Current
            ?? TransportScope.Detached(null, TransportScope.DefaultTimeout, CancellationToken.None, DescribeUrl(url));
        var baseUrl = url.TrimEnd('/');
        return action switch
        {
            GitSmartSubtransportAction.UploadPackList => new HttpSmartStream(this, scope, $"{baseUrl}/info/refs?service=git-upload-pack", "git-upload-pack", post: false),
            GitSmartSubtransportAction.UploadPack => new HttpSmartStream(this, scope, $"{baseUrl}/git-upload-pack", "git-upload-pack", post: true),
            GitSmartSubtransportAction.ReceivePackList => new HttpSmartStream(this, scope, $"{baseUrl}/info/refs?service=git-receive-pack", "git-receive-pack", post: false),
            GitSmartSubtransportAction.ReceivePack => new HttpSmartStream(this, scope, $"{baseUrl}/git-receive-pack", "git-receive-pack", post: true),
            _ => throw new NotSupportedException($"Unknown smart transport action {action}."),
        };
    }

    /// <summary>Host and path only: a URL may carry user info, which must not reach a message.</summary>
    internal static string DescribeUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) ? $"{uri.Host}{(uri.IsDefaultPort ? "" : $":{uri.Port}")}{uri.AbsolutePath}" : "git remote";

    /// <summary>
    /// One HTTP request. libgit2 writes the whole request body first and then reads the answer, so
    /// writes are buffered and the request goes out on the first read.
    /// </summary>
    private sealed class HttpSmartStream(SmartSubtransport owner, TransportScope scope, string url, string service, bool post)
        : SmartSubtransportStream(owner)
    {
        private readonly MemoryStream? _requestBody = post ? new MemoryStream() : null;
        private readonly byte[] _buffer = new byte[64 * 1024];
        private GitHttpExchange? _exchange;

        public override int Write(Stream dataStream, long length)
        {
            if (_requestBody is null) throw new InvalidOperationException("libgit2 wrote to a GET request.");
            if (_exchange is not null) throw new InvalidOperationException("libgit2 wrote after reading the answer.");
            dataStream.CopyTo(_requestBody);
            return 0;
        }

        public override int Read(Stream dataStream, long length, out long bytesRead)
        {
            // libgit2 calls synchronously; the async calls underneath carry the scope's timeout and cancellation.
            _exchange ??= GitHttpExchange.SendAsync(scope, url, service, RequestBody()).GetAwaiter().GetResult();
            var read = _exchange.ReadAsync(_buffer.AsMemory(0, (int)Math.Min(length, _buffer.Length))).GetAwaiter().GetResult();
            dataStream.Write(_buffer, 0, read);
            bytesRead = read;
            return 0;
        }

        // Spelled out: "cond ? null : memory" would turn null into an empty Memory (via byte[]) and make a GET a POST.
        private ReadOnlyMemory<byte>? RequestBody()
        {
            if (_requestBody is null) return null;
            return _requestBody.GetBuffer().AsMemory(0, (int)_requestBody.Length);
        }

        protected override void Free()
        {
            _exchange?.Dispose();
            _requestBody?.Dispose();
            base.Free();
        }
    }
}
