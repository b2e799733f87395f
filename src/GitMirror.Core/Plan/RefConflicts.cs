namespace GitMirror.Core.Plan;

/// <summary>
/// Finds refs that cannot be mirrored because a ref on the other side stands in their way (pure).
/// A ref held by one side only is created on the other by a sync; that fails when the other side
/// holds, by itself, a ref that cannot coexist with it:
/// <list type="bullet">
/// <item><c>x</c> vs <c>x/y</c>: a ref name cannot also be a folder of refs (git refuses it, GitLab
/// reports a file/directory conflict);</item>
/// <item><c>Foo</c> vs <c>foo</c>: a case-insensitive server or client holds one of them only, and
/// GitMirror never makes a side hold two names that differ by case when neither side did.</item>
/// </list>
/// Names are compared case-insensitively for both rules, so <c>X</c> vs <c>x/y</c> is a conflict too.
/// A ref held by both sides is never in conflict: a side that holds it shows the names coexist.
/// </summary>
public static class RefConflicts
{
    /// <summary>Each conflicting ref → the refs of the other side in its way. Refs not in conflict are absent.</summary>
    public static IReadOnlyDictionary<string, string[]> Find(IEnumerable<ObservedRef> observed)
    {
        var githubOnly = new List<string>();
        var gitlabOnly = new List<string>();
        foreach (var item in observed)
        {
            if (item.GitHubSha is not null && item.GitLabSha is null) githubOnly.Add(item.Ref);
            else if (item.GitHubSha is null && item.GitLabSha is not null) gitlabOnly.Add(item.Ref);
        }
        var found = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        if (githubOnly.Count == 0 || gitlabOnly.Count == 0) return new Dictionary<string, string[]>();

        // Index the smaller side by folded name and by every folded folder above each name, so that
        // a first sync of a big repository (all refs on one side) costs one pass.
        var (indexed, probing) = githubOnly.Count <= gitlabOnly.Count ? (githubOnly, gitlabOnly) : (gitlabOnly, githubOnly);
        var byName = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        var byFolder = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in indexed)
        {
            Add(byName, name, name);
            foreach (var folder in FoldersOf(name)) Add(byFolder, folder, name);
        }
        foreach (var name in probing)
        {
            // Same name but for case (an identical name would be one ref held by both sides).
            if (byName.TryGetValue(name, out var sameButCase)) Link(name, sameButCase.Where(o => o != name));
            // The other side has a ref under this name, as a folder: x here, x/y there.
            if (byFolder.TryGetValue(name, out var below)) Link(name, below);
            // The other side has a ref named like one of this ref's folders: x/y here, x there.
            foreach (var folder in FoldersOf(name))
            {
                if (byName.TryGetValue(folder, out var above)) Link(name, above);
            }
        }
        return found.ToDictionary(f => f.Key, f => f.Value.Order(StringComparer.Ordinal).ToArray(), StringComparer.Ordinal);

        void Link(string name, IEnumerable<string> others)
        {
            foreach (var other in others)
            {
                Add(found, name, other);
                Add(found, other, name);
            }
        }
    }

    /// <summary>refs/heads/a/b/c → refs/heads/a, refs/heads/a/b (the namespace prefix itself is not a ref).</summary>
    private static IEnumerable<string> FoldersOf(string refName)
    {
        var start = refName.StartsWith(MirrorRefNames.BranchPrefix, StringComparison.Ordinal) ? MirrorRefNames.BranchPrefix.Length
            : refName.StartsWith(MirrorRefNames.TagPrefix, StringComparison.Ordinal) ? MirrorRefNames.TagPrefix.Length
            : "refs/".Length;
        for (var slash = refName.IndexOf('/', start); slash > 0; slash = refName.IndexOf('/', slash + 1))
        {
            yield return refName[..slash];
        }
    }

    private static void Add(Dictionary<string, List<string>> map, string key, string value)
    {
        if (!map.TryGetValue(key, out var set)) map[key] = set = [];
        if (!set.Contains(value)) set.Add(value);
    }
}
