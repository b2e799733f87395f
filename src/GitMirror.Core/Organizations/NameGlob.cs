namespace GitMirror.Core.Organizations;

/// <summary>
/// The globs of an organisation rule's include/exclude: <c>*</c> stands for any run of characters
/// within a repository name (names have no <c>/</c>); everything else matches itself, ignoring
/// case as both forges do for repository paths.
/// </summary>
public static class NameGlob
{
    /// <summary>Why <paramref name="glob"/> cannot be a name glob; null when it can.</summary>
    public static string? Problem(string glob)
    {
        if (glob.Length == 0) return "is empty: give a glob such as '*' or 'service-*'";
        foreach (var c in glob)
        {
            if (c == '/') return $"'{glob}' has a '/': globs match a repository's name, without its organisation";
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '*'))
            {
                return $"'{glob}' has '{c}', which no repository name has (use letters, digits, '-', '_', '.' and '*')";
            }
        }
        return null;
    }

    public static bool IsMatch(string glob, string name) => Match(glob.AsSpan(), name.AsSpan());

    // Iterative wildcard match with one backtrack point: linear in practice, no regex to build.
    private static bool Match(ReadOnlySpan<char> glob, ReadOnlySpan<char> name)
    {
        int g = 0, n = 0, star = -1, resume = 0;
        while (n < name.Length)
        {
            if (g < glob.Length && glob[g] == '*')
            {
                star = g++;
                resume = n;
            }
            else if (g < glob.Length && char.ToLowerInvariant(glob[g]) == char.ToLowerInvariant(name[n]))
            {
                g++;
                n++;
            }
            else if (star >= 0)
            {
                g = star + 1;
                n = ++resume;
            }
            else
            {
                return false;
            }
        }
        while (g < glob.Length && glob[g] == '*') g++;
        return g == glob.Length;
    }
}
