namespace GitMirror;

/// <summary>
/// The globs of repos.yaml <c>refs:</c> rules, matched against a ref's short name (<c>main</c>,
/// <c>release/1.2</c>, <c>v1.0</c>): <c>*</c> matches any characters but <c>/</c>, <c>**</c> any
/// characters including <c>/</c>; everything else matches itself (case-sensitive, as git's names).
/// The CI templates implement the same meaning.
/// </summary>
public static class MirrorRefGlob
{
    /// <summary>Why <paramref name="glob"/> is not a usable glob, or null when it is.</summary>
    public static string? Problem(string? glob)
    {
        if (string.IsNullOrWhiteSpace(glob)) return "must not be empty (write '**' for every ref)";
        if (glob.StartsWith("refs/", StringComparison.Ordinal))
        {
            return $"'{glob}' starts with refs/: the glob matches the short name (main, release/1.2, v1.0); 'kind:' says branch or tag";
        }
        foreach (var c in glob)
        {
            if (char.IsControl(c) || char.IsWhiteSpace(c) || c is '~' or '^' or ':' or '?' or '[' or '\\')
            {
                return $"'{glob}' holds '{Printable(c)}', which no ref name can hold (only * and ** are wildcards)";
            }
        }
        if (glob.Contains("***", StringComparison.Ordinal)) return $"'{glob}' has three stars in a row: use * (within one folder) or ** (across folders)";
        if (glob.StartsWith('/') || glob.EndsWith('/') || glob.Contains("//", StringComparison.Ordinal))
        {
            return $"'{glob}' has an empty folder name (a leading, trailing or double /), which no ref name has";
        }
        if (glob.Contains("..", StringComparison.Ordinal) || glob.Contains("@{", StringComparison.Ordinal))
        {
            return $"'{glob}' holds '..' or '@{{', which no ref name can hold";
        }
        return null;

        static string Printable(char c) => char.IsControl(c) || char.IsWhiteSpace(c) ? $"\\u{(int)c:x4}" : c.ToString();
    }

    /// <summary>True when <paramref name="shortName"/> matches <paramref name="glob"/> as a whole.</summary>
    public static bool IsMatch(string glob, string shortName)
    {
        ArgumentNullException.ThrowIfNull(glob);
        ArgumentNullException.ThrowIfNull(shortName);
        if (glob == "**") return true;
        if (!glob.Contains('*', StringComparison.Ordinal)) return string.Equals(glob, shortName, StringComparison.Ordinal);
        // One pass per glob token over the name's positions: linear in each, whatever the stars,
        // so no hostile name or glob can make it backtrack.
        var size = shortName.Length + 1;
        Span<bool> reach = size <= 256 ? stackalloc bool[size] : new bool[size];
        Span<bool> next = size <= 256 ? stackalloc bool[size] : new bool[size];
        reach.Clear();
        reach[0] = true;
        for (var i = 0; i < glob.Length; i++)
        {
            next.Clear();
            if (glob[i] == '*')
            {
                var crossesFolders = i + 1 < glob.Length && glob[i + 1] == '*';
                if (crossesFolders) i++;
                for (var j = 0; j <= shortName.Length; j++)
                {
                    next[j] = reach[j] || (j > 0 && next[j - 1] && (crossesFolders || shortName[j - 1] != '/'));
                }
            }
            else
            {
                for (var j = 0; j < shortName.Length; j++)
                {
                    next[j + 1] = reach[j] && shortName[j] == glob[i];
                }
            }
            var done = reach;
            reach = next;
            next = done;
        }
        return reach[shortName.Length];
    }
}
