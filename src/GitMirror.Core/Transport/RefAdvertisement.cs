namespace GitMirror.Core.Transport;

/// <summary>What a smart-HTTP server says at <c>info/refs?service=…</c>, read the way both services send it.</summary>
internal static class RefAdvertisement
{
    /// <summary>
    /// The first packet after the "# service=…" banner and its flush, which servers put before a v0
    /// advertisement and some (GitHub) before v2 capabilities too. Null for a flush: nothing advertised.
    /// </summary>
    public static async Task<string?> ReadFirstLineAsync(GitHttpExchange advertisement, string remote)
    {
        var (first, _) = await PktLine.ReadAsync(advertisement, remote);
        if (first is null || !first.StartsWith("# service=", StringComparison.Ordinal)) return first;
        await PktLine.ReadUntilFlushAsync(advertisement, remote, _ => { });
        return (await PktLine.ReadAsync(advertisement, remote)).Text;
    }

    /// <summary>
    /// A v0 advertisement from its first line on: "&lt;oid&gt; &lt;name&gt;" lines until a flush, the first
    /// carrying the capabilities after a NUL. An empty repository advertises "capabilities^{}" (not a
    /// ref), and "^{}" lines are peeled tags (not refs either).
    /// </summary>
    public static async Task<(Dictionary<string, string> Refs, HashSet<string> Capabilities)> ReadV0Async(GitHttpExchange advertisement,
        string remote, string? firstLine)
    {
        var refs = new Dictionary<string, string>(StringComparer.Ordinal);
        var capabilities = new HashSet<string>(StringComparer.Ordinal);
        void Parse(string line)
        {
            var nul = line.IndexOf('\0');
            if (nul >= 0)
            {
                capabilities.UnionWith(line[(nul + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries));
                line = line[..nul];
            }
            var space = line.IndexOf(' ');
            if (space > 0 && line[(space + 1)..] is var name && !name.EndsWith("^{}", StringComparison.Ordinal)) refs[name] = line[..space];
        }

        if (firstLine is null) return (refs, capabilities);
        if (firstLine != "version 1") Parse(firstLine);
        await PktLine.ReadUntilFlushAsync(advertisement, remote, Parse);
        return (refs, capabilities);
    }
}
