using System.Globalization;
using System.Text;
using GitMirror.Core.Forges.GitHub;
using GitMirror.Core.Forges.GitLab;
using GitMirror.Core.Report;

namespace GitMirror.Core.Notify;

/// <summary>
/// <c>openIssues: true</c>: one issue on the GitHub repository and one on the GitLab project when a
/// pair halts, closed with a comment when it recovers. An issue already open for the pair (its number
/// in the status file, or an open issue with the label and title) is reused, never opened twice.
/// Forge names (refs) go into Markdown only inside code spans and fences longer than any backtick run in them.
/// </summary>
internal sealed class IssueReporter(Func<MirrorPair, MirrorSide, string?> token, Func<MirrorPair, HttpMessageHandler?>? handler = null)
{
    public const string Label = "gitmirror";

    public static string Title(MirrorPair pair) => $"GitMirror: pair {pair.Name} halted (diverged refs)";

    /// <summary>Opens what is not open yet; returns the issue numbers now open and the problems met.</summary>
    public async Task<(long? GitHub, long? GitLab, List<string> Errors)> OpenAsync(MirrorPair pair, IReadOnlyList<MirrorRefComparison> diverged,
        string[] divergedRefs, PairNotificationState state, CancellationToken ct)
    {
        var errors = new List<string>();
        var body = Body(pair, diverged, divergedRefs);
        var github = state.GitHubIssue ?? await Side(MirrorSide.GitHub, errors, async t =>
        {
            var forge = new GitHubForge(pair.GitHubApi, t, handler?.Invoke(pair));
            var (owner, name) = Split(pair.GitHub);
            var open = await forge.ListOpenIssuesAsync(owner, name, Label, ct).ConfigureAwait(false);
            return open.FirstOrDefault(i => i.Title == Title(pair)) is { Number: > 0 } found ? found.Number
                : await forge.CreateIssueAsync(owner, name, Title(pair), body, [Label], ct).ConfigureAwait(false);
        }).ConfigureAwait(false);
        var gitlab = state.GitLabIssue ?? await Side(MirrorSide.GitLab, errors, async t =>
        {
            using var client = new GitLabClient(pair.GitLabApi, t, handler?.Invoke(pair));
            var open = await client.ListOpenIssuesAsync(pair.GitLab, Label, ct).ConfigureAwait(false);
            return open.FirstOrDefault(i => i.Title == Title(pair)) is { } found ? found.Iid
                : (await client.CreateIssueAsync(pair.GitLab, Title(pair), body, Label, ct).ConfigureAwait(false)).Iid;
        }).ConfigureAwait(false);
        return (github, gitlab, errors);

        async Task<long?> Side(MirrorSide side, List<string> problems, Func<string, Task<long>> open)
        {
            if (token(pair, side) is not { Length: > 0 } t)
            {
                problems.Add($"no {side} issue opened for '{pair.Name}': the token variable is not set");
                return null;
            }
            try
            {
                return await open(t).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                problems.Add($"no {side} issue opened for '{pair.Name}': {e.Message}");
                return null;
            }
        }
    }

    /// <summary>Comments on and closes the pair's open issues; returns the problems met (the numbers that could not be closed stay).</summary>
    public async Task<(long? GitHub, long? GitLab, List<string> Errors)> CloseAsync(MirrorPair pair, PairNotificationState state, DateTimeOffset at, CancellationToken ct)
    {
        var errors = new List<string>();
        var comment = $"GitMirror: the pair {pair.Name} is mirrored again ({at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC). Closing.";
        var github = await Side(MirrorSide.GitHub, state.GitHubIssue, errors, async (t, number) =>
        {
            var forge = new GitHubForge(pair.GitHubApi, t, handler?.Invoke(pair));
            var (owner, name) = Split(pair.GitHub);
            await forge.CloseIssueAsync(owner, name, number, comment, ct).ConfigureAwait(false);
        }).ConfigureAwait(false);
        var gitlab = await Side(MirrorSide.GitLab, state.GitLabIssue, errors, async (t, iid) =>
        {
            using var client = new GitLabClient(pair.GitLabApi, t, handler?.Invoke(pair));
            await client.AddIssueNoteAsync(pair.GitLab, iid, comment, ct).ConfigureAwait(false);
            await client.CloseIssueAsync(pair.GitLab, iid, ct).ConfigureAwait(false);
        }).ConfigureAwait(false);
        return (github, gitlab, errors);

        async Task<long?> Side(MirrorSide side, long? number, List<string> problems, Func<string, long, Task> close)
        {
            if (number is not { } n) return null;
            if (token(pair, side) is not { Length: > 0 } t)
            {
                problems.Add($"{side} issue #{n} of '{pair.Name}' not closed: the token variable is not set");
                return n;
            }
            try
            {
                await close(t, n).ConfigureAwait(false);
                return null;
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                problems.Add($"{side} issue #{n} of '{pair.Name}' not closed: {e.Message}");
                return n;
            }
        }
    }

    /// <summary>The issue's Markdown: the refs, both commits, how far each side moved, and the exact commands.</summary>
    public static string Body(MirrorPair pair, IReadOnlyList<MirrorRefComparison> diverged, string[] divergedRefs)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"GitMirror halted the pair {Code(pair.Name)} (GitHub {Code(pair.GitHub)} ↔ GitLab {Code(pair.GitLab)}): ");
        text.Append("the same ref got different commits on both sides. Nothing of this pair is mirrored until a person chooses a side; nothing has been overwritten.\n\n");
        text.Append("## Diverged refs\n\n");
        var refs = diverged.Count > 0 ? diverged.Select(d => d.Ref).ToList() : [.. divergedRefs];
        foreach (var d in diverged)
        {
            text.Append(CultureInfo.InvariantCulture, $"- {Code(d.Ref)}: GitHub {Code(d.GitHubSha ?? "(none)")}{Ahead(d.GitHubAheadBy)}, GitLab {Code(d.GitLabSha ?? "(none)")}{Ahead(d.GitLabAheadBy)}");
            if (d.MergeBase is { } mergeBase) text.Append(CultureInfo.InvariantCulture, $"; merge base {Code(mergeBase)}");
            text.Append('\n');
        }
        if (diverged.Count == 0)
        {
            foreach (var r in divergedRefs) text.Append(CultureInfo.InvariantCulture, $"- {Code(r)}\n");
        }
        text.Append("\n## Repair\n\nLook at them (PowerShell, with the GitMirror module):\n\n");
        text.Append(Fence(RepairCommands.ListDiverged(pair.ConfigPath, pair.Name)));
        text.Append("\nThen keep one side per ref; the other side's commits are backed up under `gitmirror/backup/` before anything moves. GitHub wins:\n\n");
        text.Append(Fence(string.Join("\n", refs.Select(r => RepairCommands.Repair(pair.ConfigPath, pair.Name, r, MirrorSide.GitHub)))));
        text.Append("\nor GitLab wins:\n\n");
        text.Append(Fence(string.Join("\n", refs.Select(r => RepairCommands.Repair(pair.ConfigPath, pair.Name, r, MirrorSide.GitLab)))));
        text.Append("\nThis issue is closed by GitMirror when the pair is mirrored again.\n");
        return text.ToString();
    }

    private static string Ahead(int? by) => by is { } n ? $" ({n} commit{(n == 1 ? "" : "s")} ahead of the merge base)" : "";

    /// <summary>A Markdown code span whose backtick fence is longer than any run inside it.</summary>
    internal static string Code(string text)
    {
        var fence = new string('`', LongestRun(text) + 1);
        return text.StartsWith('`') || text.EndsWith('`') ? $"{fence} {text} {fence}" : $"{fence}{text}{fence}";
    }

    private static string Fence(string code)
    {
        var fence = new string('`', Math.Max(3, LongestRun(code) + 1));
        return $"{fence}powershell\n{code}\n{fence}\n";
    }

    private static int LongestRun(string text)
    {
        int longest = 0, run = 0;
        foreach (var c in text)
        {
            run = c == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }
        return longest;
    }

    private static (string Owner, string Name) Split(string path)
    {
        var slash = path.IndexOf('/', StringComparison.Ordinal);
        return (path[..slash], path[(slash + 1)..]);
    }
}
