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

    /// <summary>What the side did with the pack.</summary>
    /// <param name="NotSent">Why nothing was sent (the server lacks a capability, or already holds one of the refs); null when it was.</param>
    /// <param name="Refused">Ref → the server's reason, for every ref it did not create; empty when it created them all.</param>
    /// <param name="ServerMessages">The last lines the server printed (side-band 2, without progress): often the only cause of a refusal.</param>
    public sealed record Report(string? NotSent, IReadOnlyDictionary<string, string> Refused, IReadOnlyList<string> ServerMessages)
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
        if (refs.Values.FirstOrDefault(id => !ObjectIds.IsSha1(id)) is { } other) return NotSent($"{other} is not a SHA-1 object id");
        var scope = TransportScope.Detached(credential, timeout, cancellationToken, remoteDescription ?? HttpSmartSubtransport.DescribeUrl(url));
        var baseUrl = url.TrimEnd('/');
        HashSet<string> capabilities;
        using (var advertisement = await GitHttpExchange.SendAsync(scope, $"{baseUrl}/info/refs?service={Service}", Service, body: null))
        {
            baseUrl = HttpRefLister.BaseOf(advertisement.FinalUrl) ?? baseUrl;
            // receive-pack speaks no protocol v2: a v0 advertisement, the capabilities on its first line.
            var first = await RefAdvertisement.ReadFirstLineAsync(advertisement, scope.RemoteDescription);
            var (held, offered) = await RefAdvertisement.ReadV0Async(advertisement, scope.RemoteDescription, first);
            capabilities = offered;
            if (refs.Keys.FirstOrDefault(held.ContainsKey) is { } existing) return NotSent($"it holds {existing} already");
        }
        // ofs-delta: the clone's pack has deltas by offset, which a server that does not offer it cannot read.
        if (new[] { "report-status", "atomic", "ofs-delta" }.FirstOrDefault(c => !capabilities.Contains(c)) is { } missing)
        {
            return NotSent($"it does not offer {missing}");
        }
        var format = capabilities.FirstOrDefault(c => c.StartsWith("object-format=", StringComparison.Ordinal));
        if (format is not (null or "object-format=sha1")) return NotSent($"it speaks {format}");

        var sideBand = capabilities.Contains("side-band-64k");
        using var answer = await GitHttpExchange.SendAsync(scope, $"{baseUrl}/{Service}", Service, Commands(refs, sideBand, format), bodyFile: pack);
        var messages = new List<string>();
        var status = sideBand ? await ReadSideBandAsync(answer, scope, messages) : await ReadStatusAsync(answer, scope);
        return new Report(null, Refusals(status, refs.Keys, scope.RemoteDescription), messages);
    }

    private static Report NotSent(string why) => new(why, new Dictionary<string, string>(), []);

    /// <summary>The request before the pack: one "create" command per ref, the capabilities on the first, a flush.</summary>
    private static byte[] Commands(IReadOnlyDictionary<string, string> refs, bool sideBand, string? objectFormat)
    {
        var wanted = "report-status atomic" + (sideBand ? " side-band-64k" : "") + (objectFormat is null ? "" : " " + objectFormat) + " agent=GitMirror";
        var request = new StringBuilder();
        var first = true;
        foreach (var (name, id) in refs)
        {
            request.Append(PktLine.Data($"{ObjectIds.Sha1Zero} {id} {name}{(first ? "\0" + wanted : "")}"));
            first = false;
        }
        return Encoding.UTF8.GetBytes(request.Append(PktLine.Flush).ToString());
    }

    /// <summary>How many of the server's last lines a report keeps.</summary>
    private const int MessagesKept = 5;

    /// <summary>
    /// The status report inside side-band channel 1; channel 2 is what the server prints (its progress,
    /// which keeps the exchange alive while it indexes the pack, and its errors: the last lines go to
    /// <paramref name="messages"/>), channel 3 a fatal error.
    /// </summary>
    private static async Task<List<string>> ReadSideBandAsync(GitHttpExchange answer, TransportScope scope, List<string> messages)
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
                case 2:
                    Keep(messages, Encoding.UTF8.GetString(payload, 1, payload.Length - 1));
                    break;
                default:
                    // Channel 3, or an "ERR" packet outside the channels: the server gave up.
                    var text = Encoding.UTF8.GetString(payload, payload[0] == 3 ? 1 : 0, payload.Length - (payload[0] == 3 ? 1 : 0)).Trim();
                    throw answer.Fail(new GitTransportException(TransportFailureKind.Protocol,
                        $"{scope.RemoteDescription}: the server reported an error: {(text.StartsWith("ERR ", StringComparison.Ordinal) ? text[4..] : text)}"));
            }
        }
        return PktLine.Split(report.GetBuffer().AsSpan(0, (int)report.Length))
            ?? throw answer.Fail(new GitTransportException(TransportFailureKind.Protocol, $"{scope.RemoteDescription}: the server's status report is not the git protocol."));
    }

    /// <summary>Keeps the last few lines of the server's output that are not progress ("Resolving deltas:  50% (…)\r").</summary>
    private static void Keep(List<string> messages, string output)
    {
        foreach (var line in output.Split('\n').Select(l => l[(l.LastIndexOf('\r') + 1)..].Trim()))
        {
            if (line.Length == 0 || GitProcess.IsProgressLine(line)) continue;
            messages.Add(line);
            if (messages.Count > MessagesKept) messages.RemoveAt(0);
        }
    }

    private static async Task<List<string>> ReadStatusAsync(GitHttpExchange answer, TransportScope scope)
    {
        var lines = new List<string>();
        await PktLine.ReadUntilFlushAsync(answer, scope.RemoteDescription, lines.Add);
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
