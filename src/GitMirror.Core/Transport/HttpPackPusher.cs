using System.Text;

namespace GitMirror.Core.Transport;

/// <summary>
/// Sends a pack file that already exists to a smart-HTTP server's <c>git-receive-pack</c> as it is,
/// with one create command per ref, all or nothing (<c>atomic</c>). git push cannot: it always walks
/// every object it sends and writes the pack anew, seconds for a big history that the cache already
/// holds as one pack (a first clone's). The commands are receive-pack's own compare-and-swap: each
/// says the ref must not exist yet.
/// </summary>
public sealed class HttpPackPusher
{
    private const string Service = "git-receive-pack";
    private const string ZeroId = "0000000000000000000000000000000000000000";

    /// <summary>What the side did with the pack.</summary>
    /// <param name="NotSent">Why nothing was sent (the server lacks a capability, or already holds one of the refs); null when it was.</param>
    /// <param name="Refused">Ref → the server's reason, for every ref it did not create; empty when it created them all.</param>
    public sealed record Report(string? NotSent, IReadOnlyDictionary<string, string> Refused)
    {
        public bool CreatedAll => NotSent is null && Refused.Count == 0;
    }

    /// <summary>
    /// Creates <paramref name="refs"/> (name → object id) on the side from <paramref name="pack"/>, which
    /// must hold every object they reach. Nothing is sent when the side already holds one of them.
    /// </summary>
    /// <param name="url">The clone URL, without credentials.</param>
    /// <param name="timeout">How long the server may stay silent.</param>
    /// <exception cref="GitTransportException">The server refused, failed, timed out or did not speak git.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<Report> PushAsync(string url, GitCredential? credential, TimeSpan timeout, IReadOnlyDictionary<string, string> refs,
        string pack, CancellationToken cancellationToken, string? remoteDescription = null)
    {
        var scope = TransportScope.Detached(credential, timeout, cancellationToken, remoteDescription ?? HttpSmartSubtransport.DescribeUrl(url));
        var baseUrl = url.TrimEnd('/');
        HashSet<string> capabilities;
        using (var advertisement = await GitHttpExchange.SendAsync(scope, $"{baseUrl}/info/refs?service={Service}", Service, body: null))
        {
            baseUrl = HttpRefLister.BaseOf(advertisement.FinalUrl) ?? baseUrl;
            var (held, offered) = await ReadAdvertisementAsync(advertisement, scope);
            capabilities = offered;
            if (refs.Keys.FirstOrDefault(held.Contains) is { } existing) return NotSent($"it holds {existing} already");
        }
        if (!capabilities.Contains("report-status") || !capabilities.Contains("atomic")) return NotSent("it does not offer atomic pushes with a status report");
        if (capabilities.FirstOrDefault(c => c.StartsWith("object-format=", StringComparison.Ordinal)) is { } format && format != "object-format=sha1")
        {
            return NotSent($"it speaks {format}");
        }

        var sideBand = capabilities.Contains("side-band-64k");
        using var answer = await GitHttpExchange.SendAsync(scope, $"{baseUrl}/{Service}", Service, Commands(refs, sideBand), bodyFile: pack);
        var status = sideBand ? await ReadSideBandAsync(answer, scope) : await ReadStatusAsync(answer, scope);
        return new Report(null, Refusals(status, refs.Keys, scope.RemoteDescription));
    }

    private static Report NotSent(string why) => new(why, new Dictionary<string, string>());

    /// <summary>
    /// A v0 advertisement (receive-pack speaks no v2): the "# service=" banner, then "&lt;oid&gt; &lt;name&gt;"
    /// lines until a flush, the first carrying the capabilities after a NUL ("capabilities^{}" when empty).
    /// </summary>
    private static async Task<(HashSet<string> Refs, HashSet<string> Capabilities)> ReadAdvertisementAsync(GitHttpExchange advertisement,
        TransportScope scope)
    {
        var refs = new HashSet<string>(StringComparer.Ordinal);
        var capabilities = new HashSet<string>(StringComparer.Ordinal);
        var (line, _) = await PktLine.ReadAsync(advertisement, scope.RemoteDescription);
        if (line is not null && line.StartsWith("# service=", StringComparison.Ordinal))
        {
            while (line is not null) (line, _) = await PktLine.ReadAsync(advertisement, scope.RemoteDescription);
            (line, _) = await PktLine.ReadAsync(advertisement, scope.RemoteDescription);
        }
        for (; line is not null; (line, _) = await PktLine.ReadAsync(advertisement, scope.RemoteDescription))
        {
            var nul = line.IndexOf('\0');
            if (nul >= 0)
            {
                capabilities.UnionWith(line[(nul + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries));
                line = line[..nul];
            }
            var space = line.IndexOf(' ');
            if (space > 0) refs.Add(line[(space + 1)..]);
        }
        return (refs, capabilities);
    }

    /// <summary>The request before the pack: one "create" command per ref, the capabilities on the first, a flush.</summary>
    private static byte[] Commands(IReadOnlyDictionary<string, string> refs, bool sideBand)
    {
        var wanted = "report-status atomic" + (sideBand ? " side-band-64k" : "") + " agent=GitMirror";
        var request = new StringBuilder();
        var first = true;
        foreach (var (name, id) in refs)
        {
            request.Append(PktLine.Data($"{ZeroId} {id} {name}{(first ? "\0" + wanted : "")}"));
            first = false;
        }
        return Encoding.UTF8.GetBytes(request.Append(PktLine.Flush).ToString());
    }

    /// <summary>
    /// The status report inside side-band channel 1; channel 2 is the server's progress (reading it keeps
    /// the exchange alive while the server indexes the pack), channel 3 a fatal error.
    /// </summary>
    private static async Task<List<string>> ReadSideBandAsync(GitHttpExchange answer, TransportScope scope)
    {
        var report = new MemoryStream();
        while (true)
        {
            var (payload, _) = await PktLine.ReadBytesAsync(answer, scope.RemoteDescription);
            if (payload is null) break;
            if (payload.Length == 0) continue;
            switch (payload[0])
            {
                case 1:
                    report.Write(payload, 1, payload.Length - 1);
                    break;
                case 3:
                    throw answer.Fail(new GitTransportException(TransportFailureKind.Protocol,
                        $"{scope.RemoteDescription}: the server reported an error: {Encoding.UTF8.GetString(payload, 1, payload.Length - 1).Trim()}"));
            }
        }
        return PktLine.Split(report.GetBuffer().AsSpan(0, (int)report.Length))
            ?? throw answer.Fail(new GitTransportException(TransportFailureKind.Protocol, $"{scope.RemoteDescription}: the server's status report is not the git protocol."));
    }

    private static async Task<List<string>> ReadStatusAsync(GitHttpExchange answer, TransportScope scope)
    {
        var lines = new List<string>();
        for (var (line, _) = await PktLine.ReadAsync(answer, scope.RemoteDescription); line is not null;
             (line, _) = await PktLine.ReadAsync(answer, scope.RemoteDescription))
        {
            lines.Add(line);
        }
        return lines;
    }

    /// <summary>
    /// Reads report-status: "unpack ok" (or the reason the pack failed), then "ok &lt;ref&gt;" or
    /// "ng &lt;ref&gt; &lt;reason&gt;" per ref. A ref the report does not mention was not created.
    /// </summary>
    private static Dictionary<string, string> Refusals(List<string> status, IEnumerable<string> refs, string remote)
    {
        if (status.Count == 0 || !status[0].StartsWith("unpack ", StringComparison.Ordinal))
        {
            throw new GitTransportException(TransportFailureKind.Protocol, $"{remote}: the server sent no status report for the push.");
        }
        var unpack = status[0]["unpack ".Length..];
        var answers = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var line in status.Skip(1))
        {
            if (line.StartsWith("ok ", StringComparison.Ordinal)) answers[line[3..]] = null;
            else if (line.StartsWith("ng ", StringComparison.Ordinal) && line[3..].Split(' ', 2) is var ng) answers[ng[0]] = ng.Length > 1 ? ng[1] : "refused";
        }
        var refused = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in refs)
        {
            var reason = unpack != "ok" ? $"unpacking failed: {unpack}"
                : answers.TryGetValue(name, out var answer) ? answer
                : "not in the server's status report";
            if (reason is not null) refused[name] = reason;
        }
        return refused;
    }
}
