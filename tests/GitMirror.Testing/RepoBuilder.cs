namespace GitMirror.Testing;

/// <summary>
/// Builds history in a bare repository through a scratch work tree, with the git CLI.
/// Commits get deterministic content but distinct ids (each message is unique).
/// </summary>
public sealed class RepoBuilder
{
    private static int _counter;
    private readonly string _work;

    public RepoBuilder(string barePath)
    {
        BarePath = barePath;
        if (!Directory.Exists(barePath))
        {
            Directory.CreateDirectory(barePath);
            Git.Run(barePath, "init", "--bare", "--quiet", "--initial-branch=main");
        }
        _work = barePath.TrimEnd('/') + ".work";
        if (!Directory.Exists(_work))
        {
            Directory.CreateDirectory(_work);
            Git.Run(_work, "init", "--quiet", "--initial-branch=main");
            Git.Run(_work, "remote", "add", "origin", barePath);
            // Borrow the bare repository's objects, so commits that arrived there by a sync can be built on.
            File.WriteAllText(System.IO.Path.Combine(_work, ".git", "objects", "info", "alternates"),
                System.IO.Path.Combine(System.IO.Path.GetFullPath(barePath), "objects") + "\n");
        }
    }

    public string BarePath { get; }

    /// <summary>Creates a commit on <paramref name="branch"/> (starting from <paramref name="from"/> or the branch's tip) and pushes it. Returns the new sha.</summary>
    public string Commit(string branch = "main", string? from = null, string? message = null, string? file = null)
    {
        var n = Interlocked.Increment(ref _counter);
        var start = from ?? TipOrNull(branch);
        if (start is null)
        {
            Git.Run(_work, "checkout", "--quiet", "--orphan", $"tmp-{n}");
            Git.Run(_work, "rm", "-rf", "--quiet", "--ignore-unmatch", ".");
        }
        else
        {
            Git.Run(_work, "checkout", "--quiet", "--detach", start);
        }
        var name = file ?? $"file-{n}.txt";
        var full = System.IO.Path.Combine(_work, name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, $"content {n}\n");
        Git.Run(_work, "add", "--", name);
        Git.Run(_work, "commit", "--quiet", "-m", message ?? $"commit {n} on {branch}");
        var sha = Git.Run(_work, "rev-parse", "HEAD");
        Git.Run(_work, "push", "--quiet", "--force", "origin", $"{sha}:refs/heads/{branch}");
        return sha;
    }

    /// <summary>Creates <paramref name="count"/> commits on a branch; returns the last sha.</summary>
    public string Commits(int count, string branch = "main")
    {
        var sha = "";
        for (var i = 0; i < count; i++) sha = Commit(branch);
        return sha;
    }

    /// <summary>Creates a tag at <paramref name="target"/>; annotated when a message is given. Returns the tag ref's object id.</summary>
    public string Tag(string name, string target, string? annotation = null)
    {
        if (annotation is null) Git.Run(BarePath, "tag", name, target);
        else Git.Run(BarePath, "tag", "-a", "-m", annotation, name, target);
        return Git.Run(BarePath, "rev-parse", $"refs/tags/{name}");
    }

    public string? TipOrNull(string branch)
    {
        var (code, stdout, _) = Git.TryRun(BarePath, "rev-parse", "--verify", "--quiet", $"refs/heads/{branch}");
        return code == 0 ? stdout.Trim() : null;
    }

    /// <summary>All refs of the bare repository, name → object id (as for-each-ref sees them).</summary>
    public static Dictionary<string, string> Refs(string barePath)
    {
        var output = Git.Run(barePath, "for-each-ref", "--format=%(refname) %(objectname)");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' '))
            .ToDictionary(p => p[0], p => p[1]);
    }

    public static void DeleteRef(string barePath, string refName) => Git.Run(barePath, "update-ref", "-d", refName);

    public static void SetRef(string barePath, string refName, string sha) => Git.Run(barePath, "update-ref", refName, sha);
}
