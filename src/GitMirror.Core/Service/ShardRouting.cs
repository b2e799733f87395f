using GitMirror.Core.Unattended;

namespace GitMirror.Core.Service;

/// <summary>
/// Who owns which pair in a fleet of service replicas: <c>-Shard i/n</c> (design.md §5's hash) and
/// <c>-Peers</c>, the base URLs of the owners of shards 1…n in order, this replica's own included.
/// </summary>
public sealed class ShardRouting
{
    private ShardRouting(ShardSelector shard, IReadOnlyList<Uri> peers)
    {
        Shard = shard;
        Peers = peers;
    }

    public ShardSelector Shard { get; }

    /// <summary>Base URL of the owner of shard k at index k−1.</summary>
    public IReadOnlyList<Uri> Peers { get; }

    /// <exception cref="FormatException">What is wrong with -Shard or -Peers.</exception>
    public static ShardRouting Parse(string shard, string? peers)
    {
        var selector = ShardSelector.Parse(shard);
        var urls = (peers ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (urls.Length != selector.Count)
        {
            throw new FormatException(
                $"-Peers must list the base URLs of all {selector.Count} shard owners in shard order, this one's included (got {urls.Length}).");
        }
        var parsed = new List<Uri>();
        foreach (var url in urls)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(uri.UserInfo))
            {
                throw new FormatException($"-Peers: '{url}' is not an http(s) base URL such as http://gitmirror-0.gitmirror:8080.");
            }
            parsed.Add(uri);
        }
        return new ShardRouting(selector, parsed);
    }

    /// <summary>The 1-based shard that owns <paramref name="pairName"/>.</summary>
    public int OwnerOf(string pairName) => (int)(ShardSelector.KeyOf(pairName) % (ulong)Shard.Count) + 1;

    public bool Owns(string pairName) => Shard.Contains(pairName);

    /// <summary>Where an event for <paramref name="pairName"/> goes: the owner's hook URL for <paramref name="hookPath"/>.</summary>
    public Uri ForwardUrl(string pairName, string hookPath) => new(Peers[OwnerOf(pairName) - 1], hookPath);

    public override string ToString() => $"shard {Shard}";
}
