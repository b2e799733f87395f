using GitMirror.Core.Apply;
using GitMirror.Core.Engine;
using GitMirror.Core.Forges;
using GitMirror.Core.Forges.GitHub;
using GitMirror.Core.Forges.GitLab;
using GitMirror.Core.Observe;
using GitMirror.Core.Plan;
using GitMirror.Core.Unattended;
using LibGit2Sharp;

namespace GitMirror.Core.Bootstrap;

/// <summary>
/// Installs the CI files with the sync engine (see <see cref="ICiFilesInstaller"/>): under the
/// pair's lock, sync first, then one commit on GitHub's default branch, built in the pair's cache
/// and pushed to GitHub, then GitLab, as a plain fast-forward with a lease. Bootstrap therefore
/// never creates a divergence: both sides get the very same commit, and if either moved meanwhile
/// the push is refused instead of overwriting anything.
/// </summary>
public sealed class CiFilesInstaller : ICiFilesInstaller
{
    /// <summary>
    /// Who authors the commit. Not the bot: its e-mail is unknown here, and a guessed one could
    /// credit the commit to a stranger's account. The push is still made with the bot's token,
    /// and the CI loop filters compare the pusher, never the author.
    /// </summary>
    public static readonly string AuthorName = "GitMirror";

    public static readonly string AuthorEmail = "gitmirror@users.noreply";

    private readonly IMirrorLog _log;
    private readonly MirrorEngine _engine;
    private readonly RefPusher _pusher;
    private readonly TimeSpan _lockTimeout;
    private readonly Func<DateTimeOffset> _clock;

    /// <param name="lockTimeout">How long to wait for a running sync of the pair (default one minute).</param>
    public CiFilesInstaller(IMirrorLog? log = null, TimeSpan? lockTimeout = null, Func<DateTimeOffset>? clock = null)
    {
        _log = log ?? NullMirrorLog.Instance;
        _engine = new MirrorEngine(_log);
        _pusher = new RefPusher(_log);
        _lockTimeout = lockTimeout ?? TimeSpan.FromMinutes(1);
        _clock = clock ?? (() => DateTimeOffset.Now);
    }

    public async Task<MirrorBootstrapStep> InstallAsync(MirrorPair pair, CancellationToken ct)
    {
        // The daemon must not sync the pair between our sync and our push: same lock as Sync-MirrorPair.
        using var held = await PairLock.TryAcquireAsync(pair.CachePath, pair.Name, _lockTimeout, ct, activity: PairLockActivity.Bootstrapping).ConfigureAwait(false);
        if (held is null)
        {
            return Failed($"the pair is {PairLock.DescribeHolder(pair.CachePath, pair.Name)}; run bootstrap again when it is done");
        }

        _log.Verbose($"[{pair.Name}] Syncing before installing the CI files");
        var sync = await _engine.SyncAsync(pair, _ => true, ct).ConfigureAwait(false);
        var diverged = sync.Result.DivergedRefs;
        if (diverged.Length > 0 || sync.Result.Status == MirrorSyncStatus.Halted)
        {
            return Failed($"the pair has diverged refs ({string.Join(", ", diverged)}): no CI files committed, since a commit on one side only "
                + "would add to the divergence. Repair them (Repair-MirrorDivergence), then run bootstrap again");
        }
        if (sync.Result.Status == MirrorSyncStatus.Failed)
        {
            return Failed($"syncing the pair first failed: {sync.Result.Error}");
        }

        var branch = await DefaultBranchAsync(pair, ct).ConfigureAwait(false);
        var refName = "refs/heads/" + branch;
        var github = RemoteEndpoint.For(pair, MirrorSide.GitHub);
        var gitlab = RemoteEndpoint.For(pair, MirrorSide.GitLab);
        var githubRefs = await github.ListRefsAsync(ct).ConfigureAwait(false);
        var gitlabRefs = await gitlab.ListRefsAsync(ct).ConfigureAwait(false);
        var tip = githubRefs.GetValueOrDefault(refName);
        var gitlabTip = gitlabRefs.GetValueOrDefault(refName);
        if (tip != gitlabTip)
        {
            return Failed($"{refName} moved right after the sync (GitHub {PlannedPush.Short(tip, "absent")}, GitLab {PlannedPush.Short(gitlabTip, "absent")}); run bootstrap again");
        }
        if (tip is null && githubRefs.Keys.Any(r => r.StartsWith("refs/heads/", StringComparison.Ordinal)))
        {
            // A root commit beside existing history would start an unrelated branch: refuse to guess.
            return Failed($"GitHub's default branch '{branch}' does not exist, but other branches do; set the default branch on GitHub, then run bootstrap again");
        }

        using var cache = MirrorCache.Open(pair);
        if (tip is not null && !cache.Contains(tip))
        {
            // The sync transfers nothing for refs already equal on both sides; the cache may lack the tip.
            await cache.FetchAsync(github, [refName], ct).ConfigureAwait(false);
        }
        var parent = tip is null ? null : cache.Repository.Lookup<Commit>(tip);
        if (tip is not null && parent is null)
        {
            return Failed($"{refName} on GitHub points at {PlannedPush.Short(tip)}, which is not a commit");
        }

        var current = new[] { CiFiles.GitHubWorkflowPath, CiFiles.GitLabJobPath, CiFiles.GitLabCiPath }
            .ToDictionary(p => p, p => ReadFile(parent, p), StringComparer.Ordinal);
        var changes = CiFiles.Plan(current[CiFiles.GitHubWorkflowPath], current[CiFiles.GitLabJobPath], current[CiFiles.GitLabCiPath]);
        if (changes.Count == 0)
        {
            return Step(MirrorBootstrapAction.Unchanged, $"the CI files are in place on {branch} at {PlannedPush.Short(tip!)}");
        }

        var commit = BuildCommit(cache.Repository, parent, changes, current);
        var files = string.Join(", ", changes.Keys.Order(StringComparer.Ordinal));
        _log.Verbose($"[{pair.Name}] Committed {files} on {branch} as {PlannedPush.Short(commit.Sha)}; pushing to GitHub, then GitLab");

        foreach (var (endpoint, side) in new[] { (github, MirrorSide.GitHub), (gitlab, MirrorSide.GitLab) })
        {
            var report = await Task.Run(() => _pusher.Push(cache, endpoint, [new PlannedPush(refName, side, tip, commit.Sha)], ct), ct).ConfigureAwait(false);
            var update = report.Updates.Single();
            if (update.Succeeded) continue;
            return side == MirrorSide.GitHub
                ? Failed($"pushing the CI files commit {PlannedPush.Short(commit.Sha)} to {endpoint.Description} failed, nothing changed on either side: {update.Message}")
                : Failed($"GitHub has the CI files commit {PlannedPush.Short(commit.Sha)} on {branch}, but pushing it to {endpoint.Description} failed: {update.Message}. "
                    + "The next Sync-MirrorPair fast-forwards GitLab to it (the same commit: no divergence is possible)");
        }

        var created = current.Values.All(v => v is null);
        var synced = sync.Result.Updates.Length > 0 ? $"; synced {sync.Result.Updates.Length} refs first" : "";
        return Step(created ? MirrorBootstrapAction.Created : MirrorBootstrapAction.Updated,
            $"commit {PlannedPush.Short(commit.Sha)} on {branch} ({(tip is null ? "its first commit" : $"after {PlannedPush.Short(tip)}")}) on both sides: {files}{synced}");
    }

    /// <summary>GitHub's default branch (the workflow runs from any branch, but people look there); warns when GitLab's differs.</summary>
    private async Task<string> DefaultBranchAsync(MirrorPair pair, CancellationToken ct)
    {
        var slash = pair.GitHub.IndexOf('/');
        var gitHubApi = pair.GitHubApp is null ? new GitHubForge(pair.GitHubApi, TokenOf(pair.GitHubTokenEnv, MirrorSide.GitHub)) : GitHubAuth.ApiFor(pair);
        var repository = await gitHubApi.GetRepositoryAsync(pair.GitHub[..slash], pair.GitHub[(slash + 1)..], ct).ConfigureAwait(false);
        var branch = string.IsNullOrEmpty(repository?.DefaultBranch) ? "main" : repository.DefaultBranch;
        try
        {
            using var gitLabApi = new GitLabClient(pair.GitLabApi, TokenOf(pair.GitLabTokenEnv, MirrorSide.GitLab));
            var project = await gitLabApi.GetProjectAsync(pair.GitLab, ct).ConfigureAwait(false);
            // An empty project has none yet; its first pushed branch becomes the default.
            if (project?.DefaultBranch is { Length: > 0 } gitLabBranch && gitLabBranch != branch)
            {
                _log.Warning($"[{pair.Name}] GitLab's default branch is '{gitLabBranch}', GitHub's '{branch}': the CI files go on '{branch}' on both sides, "
                    + $"so GitLab's '{gitLabBranch}' runs the mirror job only once it has them too.");
            }
        }
        catch (ForgeApiException e)
        {
            _log.Verbose($"[{pair.Name}] Could not read GitLab's default branch to compare it with GitHub's: {e.Message}");
        }
        return branch;
    }

    private static string TokenOf(string environmentVariable, MirrorSide side) =>
        Environment.GetEnvironmentVariable(environmentVariable) is { Length: > 0 } token ? token.Trim()
            : throw new InvalidOperationException($"the {side} bot's token is missing: set the environment variable {environmentVariable}");

    private static string? ReadFile(Commit? commit, string path) =>
        commit?.Tree[path]?.Target is Blob blob ? blob.GetContentText() : null;

    /// <summary>One commit: the parent's tree with the changed files replaced (or the files alone, for an empty repository).</summary>
    private Commit BuildCommit(Repository repository, Commit? parent, IReadOnlyDictionary<string, string> changes, IReadOnlyDictionary<string, string?> current)
    {
        var tree = parent is null ? new TreeDefinition() : TreeDefinition.From(parent.Tree);
        foreach (var (path, content) in changes)
        {
            using var stream = new MemoryStream(new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(content));
            tree.Add(path, repository.ObjectDatabase.CreateBlob(stream), Mode.NonExecutableFile);
        }
        var lines = changes.Keys.Order(StringComparer.Ordinal)
            .Select(p => $"- {(current[p] is null ? "add" : "update")} {p}");
        var message = "Install GitMirror CI mirroring\n\n"
            + "Initialize-MirrorBootstrap installs the jobs that push each branch and tag to the\n"
            + "other forge, fast-forward only:\n\n"
            + string.Join("\n", lines) + "\n";
        var signature = new Signature(AuthorName, AuthorEmail, _clock());
        return repository.ObjectDatabase.CreateCommit(signature, signature, message,
            repository.ObjectDatabase.CreateTree(tree), parent is null ? [] : [parent], prettifyMessage: false);
    }

    private static MirrorBootstrapStep Step(MirrorBootstrapAction action, string detail) => new()
    {
        Step = MirrorBootstrapStepKind.CiFiles,
        Side = MirrorBootstrapSide.Both,
        Action = action,
        Detail = detail,
    };

    private static MirrorBootstrapStep Failed(string detail) => Step(MirrorBootstrapAction.Failed, detail);
}
