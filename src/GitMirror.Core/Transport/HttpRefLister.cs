using System.Text;

namespace GitMirror.Core.Transport;

/// <summary>
/// Lists a remote's branches and tags over smart HTTP with protocol v2 <c>ls-refs</c>, which sends
/// only <c>refs/heads/*</c> and <c>refs/tags/*</c>: libgit2's protocol v0 listing would download
/// every <c>refs/pull/*</c> ref of a big GitHub repository on every poll. Falls back to parsing a
/// v0 advertisement when the server does not speak v2.
/// </summary>
public sealed class HttpRefLister
{
    private const string Service = "git-upload-pack";
    private static readonly string[] MirroredPrefixes = ["refs/heads/", "refs/tags/"];

    /// <summary>
    /// Ref name → object id of every branch and tag. Annotated tags map to the tag object's id (the
    /// ref's own value), not the commit it points to.
    /// </summary>
    /// <param name="url">The clone URL (<c>https://host/group/repo.git</c>), without credentials.</param>
    /// <param name="timeout">How long the server may stay silent.</param>
    /// <param name="remoteDescription">Names the remote in messages; defaults to the URL's host and path.</param>
    /// <exception cref="GitTransportException">The server refused, failed, timed out or did not speak git.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<IReadOnlyDictionary<string, string>> ListAsync(string url, GitCredential? credential, TimeSpan timeout,
        CancellationToken cancellationToken, string? remoteDescription = null) =>
        (await ListWithLocationAsync(url, credential, timeout, cancellationToken, remoteDescription)).Refs;

    /// <summary>
    /// <see cref="ListAsync"/>, and the clone URL that answered: <paramref name="url"/>, or where a
    /// same-origin redirect led (a renamed project). A redirect to another origin is a
    /// <see cref="TransportFailureKind.Moved"/> failure, and the token is not sent there.
    /// </summary>
    public async Task<(IReadOnlyDictionary<string, string> Refs, string Url)> ListWithLocationAsync(string url, GitCredential? credential,
        TimeSpan timeout, CancellationToken cancellationToken, string? remoteDescription = null)
    {
        var description = remoteDescription ?? HttpSmartSubtransport.DescribeUrl(url);
        var baseUrl = url.TrimEnd('/');
        if (await TryListDirectlyAsync(baseUrl, credential, timeout, cancellationToken, description) is { } direct) return direct;

        var scope = TransportScope.Detached(credential, timeout, cancellationToken, description);
        using (var advertisement = await GitHttpExchange.SendAsync(scope, $"{baseUrl}/info/refs?service={Service}", Service,
            body: null, gitProtocol: "version=2"))
        {
            baseUrl = BaseOf(advertisement.FinalUrl) ?? baseUrl;
            var first = await RefAdvertisement.ReadFirstLineAsync(advertisement, scope.RemoteDescription);
            if (first != "version 2")
            {
                var (advertised, _) = await RefAdvertisement.ReadV0Async(advertisement, scope.RemoteDescription, first);
                var mirrored = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var (name, id) in advertised) AddIfMirrored(mirrored, name, id);
                return (mirrored, baseUrl);
            }
            var capabilities = new List<string>();
            await PktLine.ReadUntilFlushAsync(advertisement, scope.RemoteDescription, capabilities.Add);
            if (!capabilities.Any(c => c == "ls-refs" || c.StartsWith("ls-refs=", StringComparison.Ordinal)))
            {
                throw advertisement.Fail(new GitTransportException(TransportFailureKind.Protocol,
                    $"{scope.RemoteDescription}: the server speaks protocol v2 without ls-refs."));
            }
        }

        return ((await RequestListingAsync(scope, baseUrl)).Refs, baseUrl);
    }

    /// <summary>
    /// Sends <c>ls-refs</c> and reads the answer: the mirrored refs, whether every line was a plain
    /// "&lt;oid&gt; refs/…" line, and the clone URL that answered (after same-origin redirects).
    /// </summary>
    private static async Task<(Dictionary<string, string> Refs, bool Plain, string? AnsweredAt)> RequestListingAsync(TransportScope scope, string baseUrl)
    {
        using var listing = await GitHttpExchange.SendAsync(scope, $"{baseUrl}/{Service}", Service, LsRefsRequest, gitProtocol: "version=2");
        var refs = new Dictionary<string, string>(StringComparer.Ordinal);
        var plain = true;
        // Each line: "<oid> <name>[ symref-target:…][ peeled:…]"; ref-prefix is only a hint to the server, so filter too.
        await PktLine.ReadUntilFlushAsync(listing, scope.RemoteDescription, line =>
        {
            var parts = line.Split(' ');
            if (parts.Length >= 2) AddIfMirrored(refs, parts[1], parts[0]);
            plain &= parts.Length >= 2 && ObjectIds.IsObjectId(parts[0]) && parts[1].StartsWith("refs/", StringComparison.Ordinal);
        });
        var answeredAt = listing.FinalUrl.EndsWith("/" + Service, StringComparison.Ordinal) ? listing.FinalUrl[..^(Service.Length + 1)] : null;
        return (refs, plain, answeredAt);
    }

    private static readonly byte[] LsRefsRequest = Encoding.UTF8.GetBytes(new StringBuilder()
        .Append(PktLine.Data("command=ls-refs"))
        .Append(PktLine.Delimiter)
        .Append(string.Concat(MirroredPrefixes.Select(prefix => PktLine.Data($"ref-prefix {prefix}"))))
        .Append(PktLine.Flush)
        .ToString());

    /// <summary>
    /// The listing in one request instead of two: protocol v2 requests over HTTP stand alone, so
    /// git http-backend, GitHub and GitLab answer <c>ls-refs</c> without the capability advertisement
    /// that git itself fetches first. It halves the requests of a poll (and a round trip per side).
    /// Null whenever the answer is not a plain v2 listing (an older server, a redirect elsewhere, an
    /// error, an empty list that may be a server's way to say it did not understand): the full
    /// exchange then runs and reports whatever is wrong exactly as it always has. A refused token, a
    /// timeout, an unreachable or rate-limiting server is final at once: asking again would only
    /// double the failed logins (GitLab bans an address after 30) or the wait.
    /// </summary>
    private static async Task<(IReadOnlyDictionary<string, string> Refs, string Url)?> TryListDirectlyAsync(string baseUrl,
        GitCredential? credential, TimeSpan timeout, CancellationToken cancellationToken, string description)
    {
        var scope = TransportScope.Detached(credential, timeout, cancellationToken, description);
        try
        {
            var (refs, plain, answeredAt) = await RequestListingAsync(scope, baseUrl);
            return plain && refs.Count > 0 && answeredAt is not null ? (refs, answeredAt) : null;
        }
        catch (GitTransportException e) when (e.Kind is not (TransportFailureKind.Authentication or TransportFailureKind.Timeout
            or TransportFailureKind.Unreachable or TransportFailureKind.RateLimited))
        {
            return null;
        }
    }

    /// <summary>The clone URL of an advertisement's URL (…/repo.git/info/refs?service=…); null when it is not one.</summary>
    internal static string? BaseOf(string advertisementUrl)
    {
        var end = advertisementUrl.IndexOf("/info/refs", StringComparison.Ordinal);
        return end > 0 ? advertisementUrl[..end] : null;
    }

    private static void AddIfMirrored(Dictionary<string, string> refs, string name, string objectId)
    {
        if (name.EndsWith("^{}", StringComparison.Ordinal)) return;
        if (MirroredPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal))) refs[name] = objectId;
    }
}
