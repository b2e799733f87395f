using System.Net;

namespace GitMirror.Core.Transport;

/// <summary>
/// The one reading of where a URL points, as far as a token is concerned: its origin (scheme, host,
/// port), where a redirect sends us, and whether a host is this machine. The git transport, the
/// forge API clients, LFS and the config all ask here.
/// </summary>
public static class HttpOrigin
{
    /// <summary>Same scheme, host and port (default ports made explicit): the only place a token may go.</summary>
    public static bool SameOrigin(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase)
        && a.Port == b.Port;

    /// <summary>scheme://host:port of a URL, lower case, for comparisons and messages (never user info, path or query).</summary>
    public static string OriginOf(Uri url) => $"{url.Scheme}://{url.IdnHost}:{url.Port}".ToLowerInvariant();

    /// <summary>A URL fit for a message: scheme, host, port when not the default, and path; never user info or query.</summary>
    public static string Describe(Uri url) =>
        $"{url.Scheme}://{url.Host}{(url.IsDefaultPort ? "" : $":{url.Port}")}{url.AbsolutePath}";

    /// <summary>301, 302, 303, 307 or 308: the answers that send a client elsewhere.</summary>
    public static bool IsRedirect(HttpStatusCode status) => (int)status is 301 or 302 or 303 or 307 or 308;

    /// <summary>Where a redirect points (absolute, resolved against <paramref name="requested"/>); null for any other answer or a redirect without Location.</summary>
    public static Uri? RedirectTarget(HttpResponseMessage response, Uri requested) =>
        IsRedirect(response.StatusCode) && response.Headers.Location is { } location ? new Uri(requested, location) : null;

    /// <summary>
    /// Loopback by name or literal: localhost, 127.0.0.0/8, ::1. Never by resolving the name: a name
    /// that resolves to 127.0.0.1 today (an /etc/hosts line, DNS) may resolve elsewhere tomorrow.
    /// </summary>
    public static bool IsLoopback(Uri uri)
    {
        var host = uri.IdnHost.TrimEnd('.');
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address);
    }
}
