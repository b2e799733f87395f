namespace GitMirror.Core.Service;

/// <summary>Finds the pair a webhook is about by the repository path the forge names (case-insensitive, as the forges treat paths).</summary>
public sealed class PairDirectory
{
    private volatile Maps _maps;

    public PairDirectory(IEnumerable<MirrorPair> pairs)
    {
        _maps = new Maps(pairs);
    }

    /// <summary>Swaps in a new set of pairs at once (an organisation's listing changed): a lookup sees the old set or the new one.</summary>
    public void Replace(IEnumerable<MirrorPair> pairs) => _maps = new Maps(pairs);

    public MirrorPair? Find(MirrorSide forge, string? path)
    {
        var maps = _maps;
        return path is null ? null
            : (forge == MirrorSide.GitHub ? maps.ByGitHub : maps.ByGitLab).TryGetValue(path.Trim().TrimEnd('/'), out var pair) ? pair : null;
    }

    private sealed class Maps
    {
        public Maps(IEnumerable<MirrorPair> pairs)
        {
            foreach (var pair in pairs)
            {
                ByGitHub[pair.GitHub] = pair;
                ByGitLab[pair.GitLab] = pair;
            }
        }

        public Dictionary<string, MirrorPair> ByGitHub { get; } = new(StringComparer.OrdinalIgnoreCase);

        public Dictionary<string, MirrorPair> ByGitLab { get; } = new(StringComparer.OrdinalIgnoreCase);
    }
}
