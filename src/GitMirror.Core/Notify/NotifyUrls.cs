using GitMirror.Core.Transport;

namespace GitMirror.Core.Notify;

/// <summary>
/// Where a notification may go: https, or plain http only to this machine or when the entry allows
/// it. Messages name the scheme and host at most, never the path or query, where a webhook keeps its secret.
/// </summary>
public static class NotifyUrls
{
    /// <summary>Why <paramref name="url"/> is refused; null when it may be used.</summary>
    /// <param name="allowKey">The config key that would allow plain http, named in the message.</param>
    public static string? Problem(string url, bool allowInsecureHttp, string allowKey)
    {
        if (url.Length == 0) return "is empty";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            return "is not an https:// URL";
        }
        if (uri.Scheme == Uri.UriSchemeHttp && !allowInsecureHttp && !HttpOrigin.IsLoopback(uri))
        {
            return $"is plain http to {uri.Host}, which is not this machine: the message (and the URL's secret) would travel in clear text. "
                + $"Use https://, or set '{allowKey}: true' if the network path is trusted";
        }
        return null;
    }
}
