using System.Globalization;
using GitMirror.Core.Observe;
using GitMirror.Core.Plan;
using GitMirror.Core.Transport;

namespace GitMirror.Core.Apply;

/// <summary>
/// Splits a push bigger than the side accepts (GitHub refuses pushes over 2 GB): a branch's history goes
/// out first in steps along its first-parent line, oldest first, each step a leased fast-forward of the
/// last, each under the limit; then the usual push carries what is left. Only fast-forwards are staged
/// (never a repair's forced update), and only at commits that descend from what the side holds, so a
/// step never rewinds anything.
/// </summary>
internal sealed class PushStager(IMirrorLog log)
{
    /// <summary>A step aims at this share of the limit: pack sizes are estimated from the cache's own packs.</summary>
    private const double Margin = 0.8;

    /// <summary>
    /// Pushes the steps and returns the pushes still to make (a staged branch now leased on its last step).
    /// A failed step stops the staging: the final push then says what the side refused.
    /// </summary>
    public async Task<IReadOnlyList<PlannedPush>> StageAsync(MirrorCache cache, RemoteEndpoint target, IReadOnlyList<PlannedPush> pushes,
        Func<PlannedPush, CancellationToken, Task<bool>> pushStep, CancellationToken cancellationToken)
    {
        var budget = (long)(target.MaxPushBytes * Margin);
        // Cheap first look: a cache smaller than the limit cannot produce a bigger pack.
        if (cache.ObjectBytes() <= budget) return pushes;

        var current = pushes.ToList();
        var staged = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            var haves = current.Where(p => p.OldSha is not null).Select(p => p.OldSha!).Distinct().ToList();
            var wants = current.Where(p => p.NewSha is not null).Select(p => p.NewSha!).Distinct().ToList();
            if (wants.Count == 0) return current;
            var size = await DiskUsageAsync(cache, target, wants, haves, cancellationToken).ConfigureAwait(false);
            if (size <= budget) return current;

            var branch = current.Where(p => !p.Force && p.NewSha is not null && !staged.Contains(p.Ref)
                    && MirrorRefNames.KindOf(p.Ref) == MirrorRefKind.Branch)
                .OrderByDescending(p => p.Ref is "refs/heads/main" or "refs/heads/master")
                .FirstOrDefault();
            if (branch is null) return current; // nothing left to stage: the push goes whole and the side says if it is too big
            staged.Add(branch.Ref);

            log.Verbose($"{target.Description}: about {size / (1 << 20)} MiB to push, over {target.MaxPushBytes / (1 << 20)} MiB; pushing {branch.Ref} in steps");
            var last = branch.OldSha;
            foreach (var step in await StepsAsync(cache, target, branch, haves, budget, cancellationToken).ConfigureAwait(false))
            {
                var push = branch with { OldSha = last, NewSha = step };
                if (!await pushStep(push, cancellationToken).ConfigureAwait(false)) return current;
                last = step;
                haves.Add(step);
            }
            current[current.IndexOf(branch)] = branch with { OldSha = last };
        }
    }

    /// <summary>Commits of the branch's first-parent line to stop at, each step's new objects within the budget.</summary>
    private static async Task<List<string>> StepsAsync(MirrorCache cache, RemoteEndpoint target, PlannedPush branch, List<string> haves,
        long budget, CancellationToken cancellationToken)
    {
        var line = (await GitAsync(cache, target, ["rev-list", "--first-parent", "--reverse", branch.NewSha!, "--not", .. haves], cancellationToken)
                .ConfigureAwait(false))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        if (branch.OldSha is not null)
        {
            // Only commits that descend from what the side holds: a step must fast-forward it.
            var descendants = (await GitAsync(cache, target, ["rev-list", "--first-parent", branch.NewSha!, "--ancestry-path", $"^{branch.OldSha}"],
                    cancellationToken).ConfigureAwait(false))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
            line = line.Where(descendants.Contains).ToList();
        }
        if (line.Count < 2) return [];

        // Bisect forward: the furthest commit whose objects beyond the last step fit the budget.
        var steps = new List<string>();
        var from = -1;
        var previous = new List<string>(haves);
        while (from < line.Count - 1)
        {
            int low = from + 1, high = line.Count - 1, best = from + 1;
            while (low <= high)
            {
                var middle = (low + high) / 2;
                if (await DiskUsageAsync(cache, target, [line[middle]], previous, cancellationToken).ConfigureAwait(false) <= budget)
                {
                    best = middle;
                    low = middle + 1;
                }
                else
                {
                    high = middle - 1;
                }
            }
            if (best == line.Count - 1) break; // the rest fits: the final push takes it
            steps.Add(line[best]);
            previous = [line[best], .. haves];
            from = best;
        }
        return steps;
    }

    /// <summary>The bytes the cache's packs spend on the objects reachable from <paramref name="wants"/> and not from <paramref name="haves"/>.</summary>
    private static async Task<long> DiskUsageAsync(MirrorCache cache, RemoteEndpoint target, IReadOnlyList<string> wants, IReadOnlyList<string> haves,
        CancellationToken cancellationToken)
    {
        var output = await GitAsync(cache, target, ["rev-list", "--objects", "--disk-usage", .. wants, "--not", .. haves], cancellationToken)
            .ConfigureAwait(false);
        return long.Parse(output.Trim(), NumberStyles.None, CultureInfo.InvariantCulture);
    }

    private static async Task<string> GitAsync(MirrorCache cache, RemoteEndpoint target, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var result = await GitProcess.RunAsync(cache.Path, arguments, [], null, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new GitTransportException(TransportFailureKind.Protocol,
                $"{target.Description}: sizing the push failed: {result.StandardError.Trim()}");
        }
        return result.StandardOutput;
    }
}
