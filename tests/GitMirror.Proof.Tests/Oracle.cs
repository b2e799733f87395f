using GitMirror.Testing;

namespace GitMirror.Proof.Tests;

/// <summary>Both sides' mirrored refs at one moment.</summary>
public sealed record PairSnapshot(SortedDictionary<string, string> GitHub, SortedDictionary<string, string> GitLab)
{
    public override string ToString() =>
        string.Join('\n', GitHub.Select(r => $"  GitHub {r.Key} {r.Value[..10]}").Concat(GitLab.Select(r => $"  GitLab {r.Key} {r.Value[..10]}")));

    public bool SameAs(PairSnapshot other) =>
        GitHub.SequenceEqual(other.GitHub) && GitLab.SequenceEqual(other.GitLab);
}

/// <summary>What the oracle expects a sync of one pair to do.</summary>
/// <param name="Status">UpToDate, Synced or Halted (a predicted sync never fails: nothing here refuses a push).</param>
/// <param name="Diverged">Refs no sync may touch: diverged branches and tags, and conflicts.</param>
/// <param name="Final">For every other ref, the object both sides hold after the sync.</param>
public sealed record Prediction(string Status, SortedSet<string> Diverged, SortedDictionary<string, string> Final, int Pushes);

/// <summary>
/// The independent oracle: design.md §6 written again from scratch, using the git CLI for ancestry
/// (an oracle repository borrowing both sides' objects) and sharing no code with the engine.
/// </summary>
public sealed class Oracle(string oracleRepo)
{
    /// <summary>A bare repository that sees the objects of both sides (alternates), for ancestry questions.</summary>
    public static Oracle For(string path, SideRepo github, SideRepo gitlab)
    {
        Directory.CreateDirectory(path);
        Git.Run(path, "init", "--quiet", "--bare");
        File.WriteAllText(Path.Combine(path, "objects", "info", "alternates"),
            Path.Combine(github.BarePath, "objects") + "\n" + Path.Combine(gitlab.BarePath, "objects") + "\n");
        return new Oracle(path);
    }

    public Prediction Predict(PairSnapshot snapshot, bool haltPair)
    {
        var diverged = new SortedSet<string>(StringComparer.Ordinal);
        var final = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var pushes = 0;
        foreach (var conflict in Conflicts(snapshot)) diverged.Add(conflict);
        foreach (var name in snapshot.GitHub.Keys.Union(snapshot.GitLab.Keys))
        {
            if (diverged.Contains(name)) continue;
            snapshot.GitHub.TryGetValue(name, out var github);
            snapshot.GitLab.TryGetValue(name, out var gitlab);
            if (github == gitlab)
            {
                final[name] = github!;
            }
            else if (github is null || gitlab is null)
            {
                final[name] = github ?? gitlab!;
                pushes++;
            }
            else if (name.StartsWith("refs/tags/", StringComparison.Ordinal))
            {
                diverged.Add(name); // tags never move
            }
            else if (IsAncestor(gitlab, github))
            {
                final[name] = github;
                pushes++;
            }
            else if (IsAncestor(github, gitlab))
            {
                final[name] = gitlab;
                pushes++;
            }
            else
            {
                diverged.Add(name);
            }
        }
        var status = diverged.Count > 0 && haltPair ? "Halted" : pushes > 0 ? "Synced" : "UpToDate";
        return new Prediction(status, diverged, final, pushes);
    }

    /// <summary>
    /// One-sided refs whose creation on the other side is blocked by a one-sided ref there: same name
    /// but for case, or one a folder of the other (compared without case). A plain double loop on purpose.
    /// </summary>
    public static IEnumerable<string> Conflicts(PairSnapshot snapshot) => ConflictPairs(snapshot).SelectMany(p => new[] { p.GitHubRef, p.GitLabRef });

    /// <summary>Each conflict as the GitHub-only ref and the GitLab-only ref in its way.</summary>
    public static IEnumerable<(string GitHubRef, string GitLabRef)> ConflictPairs(PairSnapshot snapshot)
    {
        var githubOnly = snapshot.GitHub.Keys.Where(k => !snapshot.GitLab.ContainsKey(k)).ToList();
        var gitlabOnly = snapshot.GitLab.Keys.Where(k => !snapshot.GitHub.ContainsKey(k)).ToList();
        foreach (var a in githubOnly)
        {
            foreach (var b in gitlabOnly)
            {
                var (la, lb) = (a.ToLowerInvariant(), b.ToLowerInvariant());
                if (la == lb || la.StartsWith(lb + "/", StringComparison.Ordinal) || lb.StartsWith(la + "/", StringComparison.Ordinal))
                {
                    yield return (a, b);
                }
            }
        }
    }

    private bool IsAncestor(string ancestor, string descendant) =>
        Git.TryRun(oracleRepo, "merge-base", "--is-ancestor", ancestor, descendant).Code == 0;
}
