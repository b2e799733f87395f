using System.Text;
using GitMirror.Core.Report;

namespace GitMirror.Core.Observe;

/// <summary>
/// The cache repository's git config, made exactly this by GitMirror every time the cache is opened:
/// whatever else was put there (an <c>url.&lt;x&gt;.insteadOf</c> sending a token to another
/// server, a <c>core.hooksPath</c>, a <c>core.fsmonitor</c> or <c>core.sshCommand</c> running code)
/// is gone before git reads it. Nothing in it is secret: the remotes' URLs hold no credentials.
/// </summary>
public static class CacheRepositoryConfig
{
    public const string FileName = "config";

    public static string Render(MirrorPair pair)
    {
        var text = new StringBuilder()
            .Append("# Written by GitMirror on every run; changes here are discarded.\n")
            .Append("[core]\n")
            .Append("\trepositoryformatversion = 0\n")
            .Append("\tfilemode = true\n")
            .Append("\tbare = true\n")
            .Append("\tlogallrefupdates = false\n")
            // Fetched objects land only as whole packs (index-pack renames one into place when it is
            // complete): a fetch cut off by a full disk or a kill leaves no commit without its tree.
            .Append("[fetch]\n")
            .Append("\tunpackLimit = 1\n");
        foreach (var side in new[] { MirrorSide.GitHub, MirrorSide.GitLab })
        {
            var name = MirrorCache.RemoteName(side);
            text.Append("[remote \"").Append(name).Append("\"]\n")
                .Append("\turl = ").Append(Quote(pair.UrlOf(side))).Append('\n')
                .Append("\tfetch = +refs/heads/*:refs/remotes/").Append(name).Append("/*\n");
        }
        return text.ToString();
    }

    /// <summary>
    /// Replaces the config of the bare repository at <paramref name="repositoryPath"/> atomically
    /// (owner-only), unless it already says exactly this (every run after the first): a poll of many
    /// pairs then rewrites no file. The caller has checked the cache holds no links.
    /// </summary>
    public static void Write(string repositoryPath, MirrorPair pair) =>
        AtomicFile.WriteAllBytesVolatileIfChanged(Path.Combine(repositoryPath, FileName), Encoding.UTF8.GetBytes(Render(pair)));

    /// <summary>
    /// The files of the push repository (<see cref="MirrorCache.PushRepository"/>), relative to it: no
    /// remote, no refs, and the cache's objects borrowed through a relative alternates path, so the
    /// cache can be moved or renamed whole.
    /// </summary>
    public static IReadOnlyList<(string Path, string Content)> PushRepositoryFiles { get; } =
    [
        ("HEAD", "ref: refs/heads/main\n"),
        (FileName, "# Written by GitMirror before every push; changes here are discarded.\n[core]\n\trepositoryformatversion = 0\n\tbare = true\n\tlogallrefupdates = false\n"),
        (Path.Combine("objects", "info", "alternates"), "../../objects\n"),
    ];

    // A git config value in double quotes: backslash and quote escaped; URLs and paths hold no newlines.
    private static string Quote(string value)
    {
        if (value.Contains('\n') || value.Contains('\r')) throw new ArgumentException("A remote URL cannot hold a line break.", nameof(value));
        return "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
    }
}
