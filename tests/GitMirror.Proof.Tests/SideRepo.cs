using System.Diagnostics;
using System.Text;
using GitMirror.Testing;

namespace GitMirror.Proof.Tests;

/// <summary>
/// One side of a pair as its users see it: a bare repository they change with the git CLI, exactly
/// as a push would (objects first, then a compare-and-swap ref update), never through GitMirror.
/// </summary>
public sealed class SideRepo(string name, string barePath)
{
    private static int _counter;

    public string Name { get; } = name;

    public string BarePath { get; } = barePath;

    public override string ToString() => Name;

    /// <summary>Mirrored refs (refs/heads/*, refs/tags/*), name → object id.</summary>
    public SortedDictionary<string, string> Refs()
    {
        var refs = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in Git.Run(BarePath, "for-each-ref", "--format=%(refname) %(objectname)", "refs/heads", "refs/tags")
                     .Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            if (parts[0] != "refs/heads/HEAD") refs[parts[0]] = parts[1];
        }
        return refs;
    }

    /// <summary>The commit some branch points at (main when there is one); null in an empty repository.</summary>
    public string? AnyBranchTip()
    {
        var refs = Refs();
        return refs.GetValueOrDefault("refs/heads/main") ?? refs.FirstOrDefault(r => r.Key.StartsWith("refs/heads/", StringComparison.Ordinal)).Value;
    }

    /// <summary>Every commit reachable from any ref, and every tag object a ref names: what must never be lost.</summary>
    public IEnumerable<string> Reachable()
    {
        var commits = Git.Run(BarePath, "rev-list", "--all").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var tags = Git.Run(BarePath, "for-each-ref", "--format=%(objecttype) %(objectname)")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.StartsWith("tag ", StringComparison.Ordinal))
            .Select(l => l[4..]);
        return commits.Concat(tags);
    }

    /// <summary>A new commit with unique content on <paramref name="parents"/> (none: a root commit). Returns its id.</summary>
    public string NewCommit(params string[] parents)
    {
        var n = Interlocked.Increment(ref _counter);
        var blob = RunWithInput($"content {n} {Guid.NewGuid():N}\n", "hash-object", "-w", "--stdin");
        var tree = RunWithInput($"100644 blob {blob}\tfile-{n % 7}.txt\n", "mktree");
        var args = new List<string> { "commit-tree", tree, "-m", $"commit {n} on {Name}" };
        foreach (var parent in parents) args.AddRange(["-p", parent]);
        return Git.Run(BarePath, [.. args]);
    }

    /// <summary>The tree of a commit (a merge keeps ours).</summary>
    public string TreeOf(string commit) => Git.Run(BarePath, "rev-parse", commit + "^{tree}");

    public string? ParentOf(string commit)
    {
        var (code, stdout, _) = Git.TryRun(BarePath, "rev-parse", "--verify", "--quiet", commit + "^");
        return code == 0 ? stdout.Trim() : null;
    }

    public string MergeCommit(string ours, string theirs) =>
        Git.Run(BarePath, "commit-tree", TreeOf(ours), "-p", ours, "-p", theirs, "-m", $"merge {theirs[..8]} into {ours[..8]} on {Name}");

    /// <summary>Moves (or creates, with <paramref name="expectedOld"/> null) a ref, as a push does: only if it still holds the expected value.</summary>
    public bool TryUpdate(string refName, string newSha, string? expectedOld) =>
        Git.TryRun(BarePath, "update-ref", refName, newSha, expectedOld ?? "").Code == 0;

    public bool TryDelete(string refName, string expectedOld) =>
        Git.TryRun(BarePath, "update-ref", "-d", refName, expectedOld).Code == 0;

    /// <summary>An annotated tag object pointing at <paramref name="target"/>, created as <paramref name="tagName"/> unless it exists.</summary>
    public bool TryAnnotatedTag(string tagName, string target) =>
        Git.TryRun(BarePath, "tag", "-a", "-m", $"annotated {tagName} on {Name}", tagName, target).Code == 0;

    /// <summary>What a user does to take the other side's value: fetch that ref from it, replacing their own.</summary>
    public bool TryCopyFrom(SideRepo other, string refName) =>
        Git.TryRun(BarePath, "fetch", "--quiet", "--no-tags", other.BarePath, $"+{refName}:{refName}").Code == 0;

    /// <summary>Fetches the other side's ref into a scratch ref (refs/model/*, never mirrored) and returns its id.</summary>
    public string? FetchScratch(SideRepo other, string refName)
    {
        var scratch = "refs/model/scratch";
        if (Git.TryRun(BarePath, "fetch", "--quiet", "--no-tags", other.BarePath, $"+{refName}:{scratch}").Code != 0) return null;
        var sha = Git.Run(BarePath, "rev-parse", scratch);
        Git.Run(BarePath, "update-ref", "-d", scratch);
        return sha;
    }

    private string RunWithInput(string input, params string[] args)
    {
        var psi = new ProcessStartInfo("git")
        {
            WorkingDirectory = BarePath,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        psi.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        using var p = Process.Start(psi)!;
        p.StandardInput.Write(input);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"git {string.Join(' ', args)} failed in {BarePath}: {stderr}");
        return stdout.Result.Trim();
    }
}
