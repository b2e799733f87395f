namespace GitMirror.Core.Service;

/// <summary>Finds the pair a webhook is about by the repository path the forge names (case-insensitive, as the forges treat paths).</summary>
public sealed class PairDirectory
{
    private readonly Dictionary<string, MirrorPair> _byGitHub = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, MirrorPair> _byGitLab = new(StringComparer.OrdinalIgnoreCase);

    public PairDirectory(IEnumerable<MirrorPair> pairs)
    {
        foreach (var pair in pairs)
        {
            _byGitHub[pair.GitHub] = pair;
            _byGitLab[pair.GitLab] = pair;
        }
    }

    public MirrorPair? Find(MirrorSide forge, string? path) =>
        path is null ? null
        : (forge == MirrorSide.GitHub ? _byGitHub : _byGitLab).TryGetValue(path.Trim().TrimEnd('/'), out var pair) ? pair : null;
}
