namespace GitMirror.Core.Apply;

/// <summary>How the side answered one ref of a push.</summary>
internal enum PushAnswerKind
{
    /// <summary>Created, fast-forwarded, forced or deleted.</summary>
    Applied,
    /// <summary>The side already held the value.</summary>
    UpToDate,
    /// <summary>Not refused itself: an atomic push failed because another ref was.</summary>
    HeldBackByAnother,
    /// <summary>The lease lost: the ref no longer held the expected value (git's "stale info").</summary>
    LeaseLost,
    /// <summary>The server did not say (it failed to report status): the outcome is unknown.</summary>
    Unknown,
    /// <summary>Refused by the server (hook, protection, rule) or by git (non-fast-forward).</summary>
    Rejected,
}

internal sealed record PushAnswer(PushAnswerKind Kind, string Reason);

/// <summary>
/// Reads <c>git push --porcelain</c>: a "To &lt;url&gt;" line, then per ref
/// <c>&lt;flag&gt;\t&lt;from&gt;:&lt;to&gt;\t&lt;summary&gt; (&lt;reason&gt;)</c>, then "Done".
/// </summary>
internal static class PushPorcelain
{
    public static IReadOnlyDictionary<string, PushAnswer> Parse(string standardOutput)
    {
        var answers = new Dictionary<string, PushAnswer>(StringComparer.Ordinal);
        foreach (var raw in standardOutput.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var fields = line.Split('\t');
            if (fields.Length < 3 || fields[0].Length != 1) continue;
            var colon = fields[1].LastIndexOf(':');
            if (colon < 0) continue;
            var target = fields[1][(colon + 1)..];
            var summary = fields[2];
            var reason = ReasonOf(summary);
            answers[target] = fields[0][0] switch
            {
                ' ' or '+' or '*' or '-' => new PushAnswer(PushAnswerKind.Applied, summary),
                '=' => new PushAnswer(PushAnswerKind.UpToDate, summary),
                '!' when reason.StartsWith("atomic push fail", StringComparison.Ordinal)
                    || reason.StartsWith("atomic transaction failed", StringComparison.Ordinal) => new PushAnswer(PushAnswerKind.HeldBackByAnother, reason),
                '!' when reason == "stale info" => new PushAnswer(PushAnswerKind.LeaseLost, reason),
                '!' when summary.StartsWith("[remote failure]", StringComparison.Ordinal) => new PushAnswer(PushAnswerKind.Unknown, reason),
                _ => new PushAnswer(PushAnswerKind.Rejected, reason.Length > 0 ? reason : summary),
            };
        }
        return answers;
    }

    /// <summary>What the server printed ("remote: …" lines), without git's own progress lines.</summary>
    public static IReadOnlyList<string> ServerMessages(string standardError) =>
        standardError.Split('\n')
            .Select(l => l.TrimEnd('\r'))
            .Where(l => l.StartsWith("remote:", StringComparison.Ordinal))
            .Select(l => l["remote:".Length..].Trim())
            .Where(l => l.Length > 0)
            .ToList();

    /// <summary>"[remote rejected] (hook declined)" → "hook declined".</summary>
    private static string ReasonOf(string summary)
    {
        var open = summary.IndexOf('(');
        var close = summary.LastIndexOf(')');
        return open >= 0 && close > open ? summary[(open + 1)..close] : "";
    }
}
