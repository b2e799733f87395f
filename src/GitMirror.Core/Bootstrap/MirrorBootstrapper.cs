using GitMirror.Core.Forges;
using GitMirror.Core.Forges.GitHub;
using GitMirror.Core.Forges.GitLab;

namespace GitMirror.Core.Bootstrap;

/// <summary>
/// Sets up pairs for CI mirroring: repositories, secrets, variables and CI files on both sides.
/// Idempotent: a second run reports Unchanged except for the secrets, which are always re-put so
/// that re-running rotates tokens. Tokens and scopes are checked before anything changes; under
/// WhatIf (shouldProcess answers false) every change is described and none is made.
/// </summary>
public sealed class MirrorBootstrapper
{
    private static readonly string[] GitHubScopes = ["repo", "workflow"];
    private static readonly string[] GitLabScopes = ["api", "write_repository"];

    private readonly MirrorBootstrapOptions _options;
    private readonly ICiFilesInstaller? _ciFiles;
    private readonly IMirrorLog _log;
    private readonly Func<string, string?> _environment;
    // One check per API and token for the whole run: all pairs of a config share them.
    private readonly Dictionary<(string Api, string Token), Task<GitHubSide>> _gitHub = [];
    private readonly Dictionary<(string Api, string Token), Task<GitLabSide>> _gitLab = [];

    /// <param name="ciFiles">Installs the CI files; null skips that step (saying so).</param>
    /// <param name="environment">Reads environment variables (default: the process's).</param>
    public MirrorBootstrapper(MirrorBootstrapOptions options, ICiFilesInstaller? ciFiles, IMirrorLog? log = null,
        Func<string, string?>? environment = null)
    {
        if (options.Trigger == MirrorBootstrapTrigger.Webhook)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(options.ServiceUrl);
            ArgumentException.ThrowIfNullOrWhiteSpace(options.WebhookSecret);
        }
        else
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(options.GitHubBotUser);
            ArgumentException.ThrowIfNullOrWhiteSpace(options.GitLabBotUser);
        }
        _options = options;
        _ciFiles = ciFiles;
        _log = log ?? NullMirrorLog.Instance;
        _environment = environment ?? Environment.GetEnvironmentVariable;
    }

    /// <summary>
    /// Bootstraps one pair. Never throws for the pair's own failures: they become a Failed step and
    /// <see cref="MirrorBootstrapOutcome.Failure"/>, so the caller goes on with the next pair.
    /// </summary>
    /// <param name="shouldProcess">(target, action) → may this change be made? False under WhatIf.</param>
    public async Task<MirrorBootstrapOutcome> BootstrapAsync(MirrorPair pair, Func<string, string, bool> shouldProcess, CancellationToken ct)
    {
        var run = new PairRun(pair, shouldProcess, _options.Trigger);
        try
        {
            var gitHub = await GitHubFor(pair, ct).ConfigureAwait(false);
            var gitLab = await GitLabFor(pair, ct).ConfigureAwait(false);

            run.Next(MirrorBootstrapStepKind.Repository, MirrorBootstrapSide.GitHub);
            var gitHubRepoExists = await EnsureGitHubRepositoryAsync(run, gitHub, ct).ConfigureAwait(false);
            run.Next(MirrorBootstrapStepKind.Repository, MirrorBootstrapSide.GitLab);
            var project = await EnsureGitLabProjectAsync(run, gitLab, ct).ConfigureAwait(false);
            if (_options.Trigger == MirrorBootstrapTrigger.Webhook)
            {
                // No CI secret, variable or file at all: the service pushes with the bots' tokens, which never leave it.
                run.Next(MirrorBootstrapStepKind.Webhook, MirrorBootstrapSide.GitHub);
                await EnsureGitHubHookAsync(run, gitHub, gitHubRepoExists, ct).ConfigureAwait(false);
                run.Next(MirrorBootstrapStepKind.Webhook, MirrorBootstrapSide.GitLab);
                await EnsureGitLabHookAsync(run, gitLab, project, ct).ConfigureAwait(false);
                return run.Finish(null);
            }
            run.Next(MirrorBootstrapStepKind.Secret, MirrorBootstrapSide.GitHub);
            await PutGitHubSecretAsync(run, gitHub, gitHubRepoExists, gitLab.Token, ct).ConfigureAwait(false);
            run.Next(MirrorBootstrapStepKind.Secret, MirrorBootstrapSide.GitLab);
            await PutGitLabTokenAsync(run, gitLab, project, gitHub.Token, ct).ConfigureAwait(false);
            run.Next(MirrorBootstrapStepKind.Variables, MirrorBootstrapSide.GitHub);
            await SetGitHubVariablesAsync(run, gitHub, gitHubRepoExists, ct).ConfigureAwait(false);
            run.Next(MirrorBootstrapStepKind.Variables, MirrorBootstrapSide.GitLab);
            await SetGitLabVariablesAsync(run, gitLab, project, ct).ConfigureAwait(false);
            run.Next(MirrorBootstrapStepKind.CiFiles, MirrorBootstrapSide.Both);
            await InstallCiFilesAsync(run, gitHubRepoExists && project is not null, ct).ConfigureAwait(false);
            return run.Finish(null);
        }
        catch (MirrorBootstrapException e)
        {
            return run.Finish(e);
        }
        catch (ForgeApiException e)
        {
            var failure = e.Kind == ForgeFailureKind.Invalid && e.FieldErrors.ContainsKey("value") && run.Current == (MirrorBootstrapStepKind.Secret, MirrorBootstrapSide.GitLab)
                ? MirrorBootstrapFailure.TokenNotMaskable
                : MirrorBootstrapFailure.ForgeApi;
            var message = failure == MirrorBootstrapFailure.TokenNotMaskable
                ? $"{e.Message}. GitLab masks only values that are {MirrorCiVariables.MaskingRule}."
                : e.Message;
            return run.Finish(new MirrorBootstrapException(failure, e.Forge, $"{pair.Name}: {message}", e));
        }
    }

    private async Task<bool> EnsureGitHubRepositoryAsync(PairRun run, GitHubSide gitHub, CancellationToken ct)
    {
        var (owner, name) = SplitGitHub(run.Pair);
        if (await gitHub.Api.GetRepositoryAsync(owner, name, ct).ConfigureAwait(false) is { } existing)
        {
            run.Done(MirrorBootstrapAction.Unchanged, $"{existing.FullName} exists ({existing.Visibility})");
            return true;
        }
        var kind = await gitHub.Api.GetAccountKindAsync(owner, ct).ConfigureAwait(false)
            ?? throw new MirrorBootstrapException(MirrorBootstrapFailure.OwnerNotFound, MirrorSide.GitHub,
                $"{run.Pair.Name}: GitHub has no user or organization '{owner}' to create {owner}/{name} in.");
        var inOrganization = kind == GitHubAccountKind.Organization;
        if (!inOrganization && !owner.Equals(gitHub.Identity.Login, StringComparison.OrdinalIgnoreCase))
        {
            throw new MirrorBootstrapException(MirrorBootstrapFailure.ForgeApi, MirrorSide.GitHub,
                $"{run.Pair.Name}: cannot create {owner}/{name}: '{owner}' is a user account and the token belongs to '{gitHub.Identity.Login}'; GitHub creates user repositories only for the token's owner.");
        }
        var (visibility, note) = (_options.Visibility, inOrganization) switch
        {
            (MirrorRepositoryVisibility.Public, _) => ("public", ""),
            (MirrorRepositoryVisibility.Internal, true) => ("internal", ""),
            (MirrorRepositoryVisibility.Internal, false) => ("private", " (GitHub user accounts have no internal visibility: private instead)"),
            _ => ("private", ""),
        };
        var what = $"create {visibility} repository in {(inOrganization ? "organization" : "user account")} {owner}";
        if (!run.ShouldProcess($"GitHub {owner}/{name}", what)) return false;
        await gitHub.Api.CreateRepositoryAsync(owner, name, inOrganization, visibility, ct).ConfigureAwait(false);
        run.Done(MirrorBootstrapAction.Created, $"created {owner}/{name} ({visibility}){note}");
        return true;
    }

    private async Task<GitLabProject?> EnsureGitLabProjectAsync(PairRun run, GitLabSide gitLab, CancellationToken ct)
    {
        var path = run.Pair.GitLab;
        if (await gitLab.Api.GetProjectAsync(path, ct).ConfigureAwait(false) is { } existing)
        {
            run.Done(MirrorBootstrapAction.Unchanged, $"{existing.PathWithNamespace} exists ({existing.Visibility})");
            return existing;
        }
        var slash = path.LastIndexOf('/');
        var (namespacePath, name) = (path[..slash], path[(slash + 1)..]);
        var ns = await gitLab.Api.GetNamespaceAsync(namespacePath, ct).ConfigureAwait(false)
            ?? throw new MirrorBootstrapException(MirrorBootstrapFailure.OwnerNotFound, MirrorSide.GitLab,
                $"{run.Pair.Name}: GitLab has no group or user namespace '{namespacePath}' (or the token cannot see it); create it, then run again.");
        var visibility = _options.Visibility switch
        {
            MirrorRepositoryVisibility.Public => GitLabVisibility.Public,
            MirrorRepositoryVisibility.Internal => GitLabVisibility.Internal,
            _ => GitLabVisibility.Private,
        };
        if (!run.ShouldProcess($"GitLab {path}", $"create {visibility} project in {ns.Kind} {ns.FullPath}")) return null;
        var created = await gitLab.Api.CreateProjectAsync(name, name, ns.Id, visibility, ct).ConfigureAwait(false);
        run.Done(MirrorBootstrapAction.Created, $"created {created.PathWithNamespace} ({visibility})");
        return created;
    }

    private string HookUrl(MirrorSide forge) =>
        _options.ServiceUrl!.TrimEnd('/') + (forge == MirrorSide.GitHub ? "/hooks/github" : "/hooks/gitlab");

    private static bool SameUrl(string a, string b) =>
        string.Equals(a.TrimEnd('/'), b.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// One push hook per repository for the service URL: created when missing, else set again —
    /// the forges never return a hook's secret, so re-setting it is the only way to be sure it matches.
    /// </summary>
    private async Task EnsureGitHubHookAsync(PairRun run, GitHubSide gitHub, bool repoExists, CancellationToken ct)
    {
        var (owner, name) = SplitGitHub(run.Pair);
        var url = HookUrl(MirrorSide.GitHub);
        var existing = repoExists
            ? (await gitHub.Api.ListHooksAsync(owner, name, ct).ConfigureAwait(false)).FirstOrDefault(h => SameUrl(h.Url, url))
            : null;
        if (!run.ShouldProcess($"GitHub {run.Pair.GitHub}", existing is null ? $"create push webhook to {url}" : $"set push webhook {existing.Id} to {url} with the current secret")) return;
        if (!repoExists)
        {
            run.Done(MirrorBootstrapAction.Skipped, "webhook not created: the repository was not created");
            return;
        }
        if (existing is null) await gitHub.Api.CreatePushHookAsync(owner, name, url, _options.WebhookSecret!, ct).ConfigureAwait(false);
        else await gitHub.Api.UpdatePushHookAsync(owner, name, existing.Id, url, _options.WebhookSecret!, ct).ConfigureAwait(false);
        run.Done(existing is null ? MirrorBootstrapAction.Created : MirrorBootstrapAction.Updated,
            existing is null ? $"push webhook to {url} created" : $"push webhook {existing.Id} to {url} updated (secret re-set)");
    }

    private async Task EnsureGitLabHookAsync(PairRun run, GitLabSide gitLab, GitLabProject? project, CancellationToken ct)
    {
        var url = HookUrl(MirrorSide.GitLab);
        var existing = project is null ? null
            : (await gitLab.Api.ListProjectHooksAsync(project.Id, ct).ConfigureAwait(false)).FirstOrDefault(h => SameUrl(h.Url, url));
        if (!run.ShouldProcess($"GitLab {run.Pair.GitLab}", existing is null ? $"add push and tag push webhook to {url}" : $"set webhook {existing.Id} to {url} with the current secret")) return;
        if (project is null)
        {
            run.Done(MirrorBootstrapAction.Skipped, "webhook not added: the project was not created");
            return;
        }
        if (existing is null) await gitLab.Api.AddPushHookAsync(project.Id, url, _options.WebhookSecret!, ct).ConfigureAwait(false);
        else await gitLab.Api.EditPushHookAsync(project.Id, existing.Id, url, _options.WebhookSecret!, ct).ConfigureAwait(false);
        run.Done(existing is null ? MirrorBootstrapAction.Created : MirrorBootstrapAction.Updated,
            existing is null ? $"push and tag push webhook to {url} added" : $"webhook {existing.Id} to {url} updated (secret re-set)");
    }

    private static async Task PutGitHubSecretAsync(PairRun run, GitHubSide gitHub, bool repoExists, string gitLabToken, CancellationToken ct)
    {
        var secret = MirrorCiVariables.GitHubSecretName;
        if (!run.ShouldProcess($"GitHub {run.Pair.GitHub}", $"set Actions secret {secret} to the GitLab bot's token")) return;
        if (!repoExists)
        {
            run.Done(MirrorBootstrapAction.Skipped, $"{secret} not set: the repository was not created");
            return;
        }
        var (owner, name) = SplitGitHub(run.Pair);
        var outcome = await gitHub.Api.PutActionsSecretAsync(owner, name, secret, gitLabToken, ct).ConfigureAwait(false);
        run.Done(outcome == ForgeWriteOutcome.Created ? MirrorBootstrapAction.Created : MirrorBootstrapAction.Updated,
            $"Actions secret {secret} {(outcome == ForgeWriteOutcome.Created ? "created" : "updated")} (sealed with the repository's public key)");
    }

    private async Task PutGitLabTokenAsync(PairRun run, GitLabSide gitLab, GitLabProject? project, string gitHubToken, CancellationToken ct)
    {
        var wanted = MirrorCiVariables.GitLabToken(gitHubToken, _options.ProtectVariables);
        var flags = $"masked and hidden{(wanted.Protected ? ", protected" : ", not protected")}";
        if (!run.ShouldProcess($"GitLab {run.Pair.GitLab}", $"set CI/CD variable {wanted.Key} to the GitHub bot's token ({flags})")) return;
        if (project is null)
        {
            run.Done(MirrorBootstrapAction.Skipped, $"{wanted.Key} not set: the project was not created");
            return;
        }
        // Always written, even when equal: re-running bootstrap is how tokens are rotated.
        var existing = await gitLab.Api.GetProjectVariableAsync(project.Id, wanted.Key, ct).ConfigureAwait(false);
        if (existing is null) await gitLab.Api.CreateProjectVariableAsync(project.Id, wanted, ct).ConfigureAwait(false);
        else if (existing.Hidden) await gitLab.Api.UpdateProjectVariableAsync(project.Id, wanted, ct).ConfigureAwait(false);
        else
        {
            // A visible variable (an older bootstrap) cannot be made hidden in place: GitLab takes
            // masked_and_hidden on creation only. Replace it, so the UI never shows the token again.
            await gitLab.Api.DeleteProjectVariableAsync(project.Id, wanted.Key, ct).ConfigureAwait(false);
            await gitLab.Api.CreateProjectVariableAsync(project.Id, wanted, ct).ConfigureAwait(false);
        }
        run.Done(existing is null ? MirrorBootstrapAction.Created : MirrorBootstrapAction.Updated,
            $"CI/CD variable {wanted.Key} {(existing is null ? "created" : "updated")} ({flags})");
    }

    private async Task SetGitHubVariablesAsync(PairRun run, GitHubSide gitHub, bool repoExists, CancellationToken ct)
    {
        var (owner, name) = SplitGitHub(run.Pair);
        var changes = new List<VariableChange>();
        foreach (var (key, value) in MirrorCiVariables.ForGitHub(run.Pair, _options.GitHubBotUser))
        {
            var current = repoExists ? await gitHub.Api.GetActionsVariableAsync(owner, name, key, ct).ConfigureAwait(false) : null;
            changes.Add(new VariableChange(key, current is null ? MirrorBootstrapAction.Created
                : current == value ? MirrorBootstrapAction.Unchanged : MirrorBootstrapAction.Updated));
        }
        await ApplyVariablesAsync(run, $"GitHub {run.Pair.GitHub}", "Actions", repoExists, changes, async change =>
        {
            var value = MirrorCiVariables.ForGitHub(run.Pair, _options.GitHubBotUser).Single(v => v.Name == change.Key).Value;
            if (change.Action == MirrorBootstrapAction.Created) await gitHub.Api.CreateActionsVariableAsync(owner, name, change.Key, value, ct).ConfigureAwait(false);
            else await gitHub.Api.UpdateActionsVariableAsync(owner, name, change.Key, value, ct).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    private async Task SetGitLabVariablesAsync(PairRun run, GitLabSide gitLab, GitLabProject? project, CancellationToken ct)
    {
        var wanted = MirrorCiVariables.ForGitLab(run.Pair, _options.GitLabBotUser)
            .Select(v => new GitLabVariable(v.Name, v.Value, Masked: false, Protected: false, Raw: true)).ToList();
        var current = project is null ? [] : await gitLab.Api.ListProjectVariablesAsync(project.Id, ct).ConfigureAwait(false);
        var changes = wanted.Select(w => current.FirstOrDefault(c => c.Key == w.Key) is { } c
            ? new VariableChange(w.Key, c.SameAs(w) ? MirrorBootstrapAction.Unchanged : MirrorBootstrapAction.Updated)
            : new VariableChange(w.Key, MirrorBootstrapAction.Created)).ToList();
        await ApplyVariablesAsync(run, $"GitLab {run.Pair.GitLab}", "CI/CD", project is not null, changes, async change =>
        {
            var variable = wanted.Single(w => w.Key == change.Key);
            if (change.Action == MirrorBootstrapAction.Created) await gitLab.Api.CreateProjectVariableAsync(project!.Id, variable, ct).ConfigureAwait(false);
            else await gitLab.Api.UpdateProjectVariableAsync(project!.Id, variable, ct).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    /// <summary>Writes the variables that differ (one ShouldProcess for the lot) and reports one step.</summary>
    private static async Task ApplyVariablesAsync(PairRun run, string target, string kind, bool repoExists,
        List<VariableChange> changes, Func<VariableChange, Task> write)
    {
        var pending = changes.Where(c => c.Action != MirrorBootstrapAction.Unchanged).ToList();
        var detail = string.Join(", ", changes.Select(c => $"{c.Key} {c.Action.ToString().ToLowerInvariant()}"));
        if (pending.Count == 0)
        {
            run.Done(MirrorBootstrapAction.Unchanged, $"{kind} variables {detail}");
            return;
        }
        if (!run.ShouldProcess(target, $"set {kind} variables {string.Join(", ", pending.Select(c => c.Key))}")) return;
        if (!repoExists)
        {
            run.Done(MirrorBootstrapAction.Skipped, $"{kind} variables not set: the repository was not created");
            return;
        }
        foreach (var change in pending) await write(change).ConfigureAwait(false);
        run.Done(pending.Any(c => c.Action == MirrorBootstrapAction.Updated) ? MirrorBootstrapAction.Updated : MirrorBootstrapAction.Created,
            $"{kind} variables {detail}");
    }

    private async Task InstallCiFilesAsync(PairRun run, bool bothExist, CancellationToken ct)
    {
        if (_ciFiles is null)
        {
            run.Done(MirrorBootstrapAction.Skipped, "no CI files installer is available");
            return;
        }
        if (!run.ShouldProcess($"{run.Pair.Name} (both sides)",
                $"sync, then commit {CiFiles.GitHubWorkflowPath}, {CiFiles.GitLabJobPath} and the include in {CiFiles.GitLabCiPath} on GitHub's default branch and push it to both sides")) return;
        if (!bothExist)
        {
            run.Done(MirrorBootstrapAction.Skipped, "CI files not installed: a repository was not created");
            return;
        }
        MirrorBootstrapStep step;
        try
        {
            step = await _ciFiles.InstallAsync(run.Pair, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException and not ForgeApiException)
        {
            throw new MirrorBootstrapException(MirrorBootstrapFailure.CiFiles, MirrorSide.GitHub,
                $"{run.Pair.Name}: installing the CI files failed: {e.Message}", e);
        }
        run.Done(step.Action, step.Detail);
        if (step.Action == MirrorBootstrapAction.Failed)
        {
            throw new MirrorBootstrapException(MirrorBootstrapFailure.CiFiles, MirrorSide.GitHub,
                $"{run.Pair.Name}: installing the CI files failed: {step.Detail}");
        }
    }

    private Task<GitHubSide> GitHubFor(MirrorPair pair, CancellationToken ct)
    {
        var token = Token(pair.GitHubTokenEnv, MirrorSide.GitHub, pair);
        return Cached(_gitHub, (pair.GitHubApi, token), () => CheckGitHubAsync(pair, token, ct));
    }

    private Task<GitLabSide> GitLabFor(MirrorPair pair, CancellationToken ct)
    {
        var token = Token(pair.GitLabTokenEnv, MirrorSide.GitLab, pair);
        return Cached(_gitLab, (pair.GitLabApi, token), () => CheckGitLabAsync(pair, token, ct));
    }

    private static Task<T> Cached<T>(Dictionary<(string, string), Task<T>> cache, (string, string) key, Func<Task<T>> check)
    {
        lock (cache)
        {
            if (!cache.TryGetValue(key, out var task) || task.IsFaulted && task.Exception?.InnerException is ForgeApiException { Kind: ForgeFailureKind.RateLimited or ForgeFailureKind.Unreachable or ForgeFailureKind.Timeout or ForgeFailureKind.Server })
            {
                cache[key] = task = check();
            }
            return task;
        }
    }

    private string Token(string environmentVariable, MirrorSide side, MirrorPair pair)
    {
        Transport.ProcessHardening.ProtectSecrets();
        var token = _environment(environmentVariable);
        if (string.IsNullOrWhiteSpace(token))
        {
            throw new MirrorBootstrapException(MirrorBootstrapFailure.TokenMissing, side,
                $"{pair.Name}: the {side} bot's token is missing: set the environment variable {environmentVariable}.");
        }
        return token.Trim();
    }

    private async Task<GitHubSide> CheckGitHubAsync(MirrorPair pair, string token, CancellationToken ct)
    {
        // GitLab stores this token as a masked variable: refuse up front rather than halfway through.
        if (_options.Trigger == MirrorBootstrapTrigger.Ci && !MirrorCiVariables.IsMaskable(token))
        {
            throw new MirrorBootstrapException(MirrorBootstrapFailure.TokenNotMaskable, MirrorSide.GitHub,
                $"{pair.Name}: the GitHub token in ${pair.GitHubTokenEnv} cannot be stored as a masked GitLab variable: GitLab masks only values that are {MirrorCiVariables.MaskingRule}.");
        }
        var api = new GitHubForge(pair.GitHubApi, token);
        var identity = await api.GetIdentityAsync(ct).ConfigureAwait(false);
        if (identity.Scopes is null)
        {
            _log.Verbose($"The GitHub token of '{identity.Login}' reports no OAuth scopes (fine-grained token): it needs Administration, Contents, Workflows, Secrets and Variables write on the mirrored repositories.");
        }
        else
        {
            RequireScopes(MirrorSide.GitHub, pair, identity.Scopes, GitHubScopes, identity.Login);
        }
        WarnIfNotBot(MirrorSide.GitHub, identity.Login, _options.GitHubBotUser);
        return new GitHubSide(api, identity, token);
    }

    private async Task<GitLabSide> CheckGitLabAsync(MirrorPair pair, string token, CancellationToken ct)
    {
        var api = new GitLabClient(pair.GitLabApi, token);
        var user = await api.GetCurrentUserAsync(ct).ConfigureAwait(false);
        try
        {
            var info = await api.GetCurrentTokenAsync(ct).ConfigureAwait(false);
            RequireScopes(MirrorSide.GitLab, pair, info.Scopes, GitLabScopes, user.Username);
        }
        catch (ForgeApiException e) when (e.Kind == ForgeFailureKind.NotFound)
        {
            _log.Verbose("GitLab cannot report the token's scopes (GET /personal_access_tokens/self needs GitLab 15.5+); it needs api and write_repository.");
        }
        WarnIfNotBot(MirrorSide.GitLab, user.Username, _options.GitLabBotUser);
        return new GitLabSide(api, user.Username, token);
    }

    private static void RequireScopes(MirrorSide side, MirrorPair pair, IReadOnlyList<string> has, string[] needed, string owner)
    {
        var missing = needed.Where(n => !has.Contains(n, StringComparer.OrdinalIgnoreCase)).ToList();
        if (missing.Count == 0) return;
        throw new MirrorBootstrapException(MirrorBootstrapFailure.TokenScopeMissing, side,
            $"{pair.Name}: the {side} token of '{owner}' lacks the scope{(missing.Count > 1 ? "s" : "")} {string.Join(" and ", missing.Select(m => $"'{m}'"))} "
            + $"(it has: {(has.Count == 0 ? "none" : string.Join(", ", has))}); "
            + (side == MirrorSide.GitHub
                ? "GitMirror needs 'repo' and 'workflow' (mirrored commits may touch .github/workflows/)."
                : "GitMirror needs 'api' and 'write_repository'.")
            + " Nothing was changed.");
    }

    private void WarnIfNotBot(MirrorSide side, string owner, string botUser)
    {
        // Webhook mode has no CI loop filter to fool.
        if (_options.Trigger == MirrorBootstrapTrigger.Webhook || owner.Equals(botUser, StringComparison.OrdinalIgnoreCase)) return;
        _log.Warning($"The {side} token belongs to '{owner}', not to the bot user '{botUser}': the CI loop filter skips pushes by '{botUser}' only, so mirror pushes made with this token would bounce back.");
    }

    private static (string Owner, string Name) SplitGitHub(MirrorPair pair)
    {
        var slash = pair.GitHub.IndexOf('/');
        return (pair.GitHub[..slash], pair.GitHub[(slash + 1)..]);
    }

    private sealed record GitHubSide(GitHubForge Api, GitHubIdentity Identity, string Token);

    private sealed record GitLabSide(GitLabClient Api, string Username, string Token);

    private sealed record VariableChange(string Key, MirrorBootstrapAction Action);

    /// <summary>The steps of one pair as they happen; a failure marks the current step and skips the rest.</summary>
    private sealed class PairRun(MirrorPair pair, Func<string, string, bool> shouldProcess, MirrorBootstrapTrigger trigger)
    {
        private static readonly (MirrorBootstrapStepKind, MirrorBootstrapSide)[] WebhookSteps =
        [
            (MirrorBootstrapStepKind.Repository, MirrorBootstrapSide.GitHub),
            (MirrorBootstrapStepKind.Repository, MirrorBootstrapSide.GitLab),
            (MirrorBootstrapStepKind.Webhook, MirrorBootstrapSide.GitHub),
            (MirrorBootstrapStepKind.Webhook, MirrorBootstrapSide.GitLab),
        ];

        private static readonly (MirrorBootstrapStepKind, MirrorBootstrapSide)[] CiSteps =
        [
            (MirrorBootstrapStepKind.Repository, MirrorBootstrapSide.GitHub),
            (MirrorBootstrapStepKind.Repository, MirrorBootstrapSide.GitLab),
            (MirrorBootstrapStepKind.Secret, MirrorBootstrapSide.GitHub),
            (MirrorBootstrapStepKind.Secret, MirrorBootstrapSide.GitLab),
            (MirrorBootstrapStepKind.Variables, MirrorBootstrapSide.GitHub),
            (MirrorBootstrapStepKind.Variables, MirrorBootstrapSide.GitLab),
            (MirrorBootstrapStepKind.CiFiles, MirrorBootstrapSide.Both),
        ];

        private readonly List<MirrorBootstrapStep> _steps = [];

        private (MirrorBootstrapStepKind, MirrorBootstrapSide)[] AllSteps => trigger == MirrorBootstrapTrigger.Webhook ? WebhookSteps : CiSteps;

        public MirrorPair Pair { get; } = pair;

        /// <summary>The step under way; before the first, the up-front checks (reported on the first step).</summary>
        public (MirrorBootstrapStepKind Kind, MirrorBootstrapSide Side) Current { get; private set; } = CiSteps[0];

        public void Next(MirrorBootstrapStepKind kind, MirrorBootstrapSide side)
        {
            Current = (kind, side);
        }

        public bool ShouldProcess(string target, string action)
        {
            if (shouldProcess(target, action)) return true;
            Done(MirrorBootstrapAction.Skipped, $"not done (WhatIf or declined): {action}");
            return false;
        }

        public void Done(MirrorBootstrapAction action, string? detail) =>
            _steps.Add(new MirrorBootstrapStep { Step = Current.Kind, Side = Current.Side, Action = action, Detail = detail });

        public MirrorBootstrapOutcome Finish(MirrorBootstrapException? failure)
        {
            if (failure is not null)
            {
                // Before the first step ran, the up-front checks failed: blame the side they were about.
                var side = _steps.Count == 0
                    ? failure.Side == MirrorSide.GitHub ? MirrorBootstrapSide.GitHub : MirrorBootstrapSide.GitLab
                    : Current.Side;
                _steps.RemoveAll(s => s.Step == Current.Kind && s.Side == side);
                _steps.Add(new MirrorBootstrapStep { Step = Current.Kind, Side = side, Action = MirrorBootstrapAction.Failed, Detail = failure.Message });
            }
            foreach (var (kind, side) in AllSteps)
            {
                if (!_steps.Any(s => s.Step == kind && s.Side == side))
                {
                    _steps.Add(new MirrorBootstrapStep { Step = kind, Side = side, Action = MirrorBootstrapAction.Skipped, Detail = "not attempted after the failure above" });
                }
            }
            var ordered = _steps.OrderBy(s => Array.IndexOf(AllSteps, (s.Step, s.Side))).ToArray();
            return new MirrorBootstrapOutcome(new MirrorBootstrapResult { Pair = Pair, Steps = ordered }, failure);
        }
    }
}
