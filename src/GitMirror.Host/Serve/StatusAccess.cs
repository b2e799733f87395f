using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace GitMirror.Host.Serve;

/// <summary>
/// Who may read the status endpoints (<c>/</c>, <c>/status</c>, <c>/metrics</c>) and ask for a sync
/// (<c>POST /pairs/{name}/sync</c>), and on which listener they are served. Probes and hooks are
/// never behind the token: a kubelet and a forge cannot hold it, and hooks carry their own proof.
/// </summary>
internal sealed class StatusAccess
{
    public const string TokenVariable = "GITMIRROR_STATUS_TOKEN";

    /// <summary>The key a -StatusListen connection carries in its items.</summary>
    public const string StatusConnectionKey = "gitmirror.status-listener";

    private readonly byte[]? _tokenDigest;

    public StatusAccess(string? token, bool separateListener)
    {
        _tokenDigest = string.IsNullOrEmpty(token) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(token));
        SeparateListener = separateListener;
    }

    /// <summary>GITMIRROR_STATUS_TOKEN of the process; blank counts as unset.</summary>
    public static string? TokenFromEnvironment() =>
        Environment.GetEnvironmentVariable(TokenVariable) is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    /// <summary>True when a token is set: only then may anyone ask for a sync (a change needs a credential).</summary>
    public bool SyncAllowed => _tokenDigest is not null;

    public bool SeparateListener { get; }

    public static bool IsProbeOrHook(PathString path) =>
        path.Equals("/healthz", StringComparison.Ordinal) || path.Equals("/readyz", StringComparison.Ordinal) || path.StartsWithSegments("/hooks", StringComparison.Ordinal);

    /// <summary>
    /// Runs before routing: what the request's listener does not serve is 404, a status request
    /// without the token is 401 with a Basic challenge (browsers prompt for it).
    /// </summary>
    public async Task FilterAsync(HttpContext context, RequestDelegate next)
    {
        var path = context.Request.Path;
        var probeOrHook = IsProbeOrHook(path);
        if (SeparateListener)
        {
            var onStatusListener = context.Features.Get<IConnectionItemsFeature>()?.Items.ContainsKey(StatusConnectionKey) == true;
            var hook = path.StartsWithSegments("/hooks", StringComparison.Ordinal);
            // -Listen (what an Ingress exposes) serves hooks and probes only; -StatusListen everything but hooks.
            if (onStatusListener ? hook : !probeOrHook)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
        }
        if (!probeOrHook && _tokenDigest is not null && !Authorized(context.Request))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"gitmirror\", charset=\"UTF-8\"";
            await context.Response.WriteAsync("The status pages need GITMIRROR_STATUS_TOKEN: as the password of Basic authentication (any user name), or as a Bearer token.\n");
            return;
        }
        await next(context);
    }

    /// <summary><c>Authorization: Basic base64(any-user:token)</c> or <c>Bearer token</c>, compared in constant time.</summary>
    private bool Authorized(HttpRequest request)
    {
        if (!AuthenticationHeaderValue.TryParse(request.Headers.Authorization.ToString(), out var header) || header.Parameter is null) return false;
        string? presented = null;
        if (header.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            presented = header.Parameter.Trim();
        }
        else if (header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter.Trim()));
                var colon = decoded.IndexOf(':', StringComparison.Ordinal);
                presented = colon < 0 ? null : decoded[(colon + 1)..];
            }
            catch (FormatException)
            {
                return false;
            }
        }
        if (presented is null) return false;
        // Digests of equal length: the comparison's time says nothing of the token's length or prefix.
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), _tokenDigest);
    }

    /// <summary>
    /// A browser sends its remembered Basic credentials with any site's form post, so a sync request
    /// whose Origin (or Sec-Fetch-Site) says it came from another site is refused.
    /// </summary>
    public static bool CrossSite(HttpRequest request)
    {
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site is "cross-site" or "same-site") return true;
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0) return false;
        return !Uri.TryCreate(origin, UriKind.Absolute, out var uri)
            || !string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The pair name of <c>/pairs/{name}/sync</c>, decoded from the raw target (so an encoded <c>/</c> in it stays part of the name).</summary>
    public static string? SyncPairName(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "";
        var query = raw.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0) raw = raw[..query];
        const string prefix = "/pairs/", suffix = "/sync";
        if (!raw.StartsWith(prefix, StringComparison.Ordinal) || !raw.EndsWith(suffix, StringComparison.Ordinal) || raw.Length <= prefix.Length + suffix.Length) return null;
        try
        {
            return Uri.UnescapeDataString(raw[prefix.Length..^suffix.Length]);
        }
        catch (UriFormatException)
        {
            return null;
        }
    }
}
