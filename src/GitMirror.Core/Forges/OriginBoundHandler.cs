using System.Net;
using GitMirror.Core.Transport;

namespace GitMirror.Core.Forges;

/// <summary>
/// Keeps a forge API token at its configured origin (scheme, host and port). Sits directly above
/// the socket handler of an API client: every request, first or redirected, passes through it.
/// A request for another origin is refused before it is sent, so neither the token header nor
/// anything else leaves; the credential header is added here, only for the configured origin.
/// Redirects within the origin are followed for reads (GitHub answers 301 for renamed
/// repositories); a redirect elsewhere is an error that names both URLs.
/// </summary>
internal sealed class OriginBoundHandler : DelegatingHandler
{
    private const int MaxRedirects = 5;
    private readonly MirrorSide _forge;
    private readonly Uri _origin;
    private readonly Action<HttpRequestMessage> _authenticate;
    private readonly string? _label;

    /// <param name="inner">The handler that sends; it must not follow redirects itself.</param>
    /// <param name="authenticate">Adds the credential to a request for the configured origin.</param>
    public OriginBoundHandler(MirrorSide forge, Uri apiBase, Action<HttpRequestMessage> authenticate, HttpMessageHandler? inner = null)
        : base(inner ?? NewSocketsHandler())
    {
        _forge = forge;
        _origin = apiBase;
        _authenticate = authenticate;
    }

    /// <summary>
    /// For a URL that is itself the secret (a notification webhook): messages say <paramref name="label"/>
    /// and name origins only, never the path.
    /// </summary>
    public OriginBoundHandler(string label, Uri url, HttpMessageHandler? inner = null)
        : this(MirrorSide.GitHub, url, static _ => { }, inner) => _label = label;

    /// <summary>A socket handler that follows no redirect: the policy is this class's.</summary>
    public static SocketsHttpHandler NewSocketsHandler() => new()
    {
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.All,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    };

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        for (var redirects = 0; ; redirects++)
        {
            Refuse(request.RequestUri!, from: null);
            _authenticate(request);
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (HttpOrigin.RedirectTarget(response, request.RequestUri!) is not { } target)
            {
                await RefuseDeepJsonAsync(response, request, cancellationToken).ConfigureAwait(false);
                return response;
            }

            Refuse(target, from: request.RequestUri);
            // Same origin: follow reads only; a write must not be replayed somewhere the caller did not name.
            if (request.Method != HttpMethod.Get && request.Method != HttpMethod.Head) return response;
            if (redirects >= MaxRedirects)
            {
                response.Dispose();
                throw new ForgeApiException(_forge, ForgeFailureKind.Server, _label is null
                    ? $"{_forge} API: more than {MaxRedirects} redirects from {HttpOrigin.Describe(request.RequestUri!)}"
                    : $"{_label}: more than {MaxRedirects} redirects");
            }
            response.Dispose();
            var next = new HttpRequestMessage(request.Method, target);
            foreach (var header in request.Headers) next.Headers.TryAddWithoutValidation(header.Key, header.Value);
            request = next;
        }
    }

    /// <summary>JSON nested deeper than any forge answer is refused before a parser sees it (a recursive one would overflow its stack).</summary>
    public const int MaxJsonDepth = 64;

    private async Task RefuseDeepJsonAsync(HttpResponseMessage response, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (response.Content is null) return;
        await response.Content.LoadIntoBufferAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (!JsonDepth.Exceeds(body, MaxJsonDepth)) return;
        var status = (int)response.StatusCode;
        response.Dispose();
        throw new ForgeApiException(_forge, ForgeFailureKind.Server,
            $"{_forge} API: {request.Method} {HttpOrigin.Describe(request.RequestUri!)} answered {status} with JSON nested deeper than {MaxJsonDepth} levels; not parsed", status);
    }

    /// <summary>Throws when <paramref name="target"/> is not the configured origin.</summary>
    private void Refuse(Uri target, Uri? from)
    {
        if (HttpOrigin.SameOrigin(target, _origin)) return;
        if (_label is not null)
        {
            throw new ForgeApiException(_forge, ForgeFailureKind.RedirectRefused, from is null
                ? $"{_label}: refused to send to {HttpOrigin.OriginOf(target)}, another origin than the configured one"
                : $"{_label}: redirected to {HttpOrigin.OriginOf(target)}, another origin than the configured {HttpOrigin.OriginOf(_origin)}; not followed");
        }
        var message = from is null
            ? $"{_forge} API: refused to send a request to {HttpOrigin.OriginOf(target)}: the token belongs to {HttpOrigin.OriginOf(_origin)} only"
            : $"{_forge} API: {HttpOrigin.Describe(from)} redirected to {HttpOrigin.OriginOf(target)}, another origin than the configured {HttpOrigin.OriginOf(_origin)}; "
              + "GitMirror does not follow it, so the token stays where it belongs. If the API really moved, set 'api:' in the config to its new URL.";
        throw new ForgeApiException(_forge, ForgeFailureKind.RedirectRefused, message);
    }
}
