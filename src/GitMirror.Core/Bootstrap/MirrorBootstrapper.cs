using GitMirror.Core.Forges;
using GitMirror.Core.Forges.GitHub;
using GitMirror.Core.Forges.GitLab;

namespace GitMirror.Core.Bootstrap;

/// <summary>
/// Sets up pairs for CI mirroring: repositories, deploy keys, secrets, variables and CI files on
/// both sides. Each side's CI gets the private half of a write deploy key registered on its twin
/// only, so it can push to that one repository and nothing else; the bots' tokens stay here.
/// Idempotent: a second run reports Unchanged (RotateCredentials replaces the keys). Tokens and
/// scopes are checked before anything changes; under WhatIf (shouldProcess answers false) every
/// change is described and none is made.
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
            var gitHubRepo = await EnsureGitHubRepositoryAsync(run, gitHub, ct).ConfigureAwait(false);
            var gitHubRepoExists = gitHubRepo is not null;
            run.Next(MirrorBootstrapStepKind.Repository, MirrorBootstrapSide.GitLab);
            var project = await EnsureGitLabProjectAsync(run, gitLab, ct).ConfigureAwait(false);
            if (pair.MissingOn is not null && gitHubRepo is not null && project is not null) ForgetOrganizationListing(pair);
            if (_options.Trigger == MirrorBootstrapTrigger.Webhook)
            {
                // No CI secret, variable or file at all: the service pushes with the bots' tokens, which never leave it.
                run.Next(MirrorBootstrapStepKind.Webhook, MirrorBootstrapSide.GitHub);
                await EnsureGitHubHookAsync(run, gitHub, gitHubRepoExists, ct).ConfigureAwait(false);
                run.Next(MirrorBootstrapStepKind.Webhook, MirrorBootstrapSide.GitLab);
                await EnsureGitLabHookAsync(run, gitLab, project, ct).ConfigureAwait(false);
                return run.Finish(null);
            }
            var bothExist = gitHubRepoExists && project is not null;
            // GitHub's CI pushes to GitLab with a key registered on the GitLab project, and back.
            await ProvisionCiKeyAsync(run, MirrorSide.GitLab, GitLabKeys(gitLab, project, run.Pair), GitHubSecretStore(gitHub, run.Pair), bothExist, ct).ConfigureAwait(false);
            await ProvisionCiKeyAsync(run, MirrorSide.GitHub, GitHubKeys(gitHub, run.Pair), GitLabSecretStore(gitLab, project, run.Pair), bothExist, ct).ConfigureAwait(false);
            run.Next(MirrorBootstrapStepKind.Variables, MirrorBootstrapSide.GitHub);
            await SetGitHubVariablesAsync(run, gitHub, gitHubRepoExists, project?.SshUrl, ct).ConfigureAwait(false);
            run.Next(MirrorBootstrapStepKind.Variables, MirrorBootstrapSide.GitLab);
            await SetGitLabVariablesAsync(run, gitLab, project, gitHubRepo?.SshUrl, ct).ConfigureAwait(false);
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
            return run.Finish(new MirrorBootstrapException(MirrorBootstrapFailure.ForgeApi, e.Forge, $"{pair.Name}: {e.Message}", e));
        }
    }

    /// <summary>The twin now exists: the cached organisation listing that lacked it must be asked for again at the next run.</summary>
    private void ForgetOrganizationListing(MirrorPair pair)
    {
        try
        {
            Organizations.OrganizationExpander.MarkStale(pair);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.Warning($"[{pair.Name}] The cached listing of organisation {pair.Organization} could not be refreshed ({e.Message}); the twin is mirrored once the listing is older than organizationRefreshMinutes.");
        }
    }

    private async Task<GitHubRepository?> EnsureGitHubRepositoryAsync(PairRun run, GitHubSide gitHub, CancellationToken ct)
    {
        var (owner, name) = SplitGitHub(run.Pair);
        if (await gitHub.Api.GetRepositoryAsync(owner, name, ct).ConfigureAwait(false) is { } existing)
        {
            run.Done(MirrorBootstrapAction.Unchanged, $"{existing.FullName} exists ({existing.Visibility})");
            return existing;
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
        if (!run.ShouldProcess($"GitHub {owner}/{name}", what)) return null;
        var created = await gitHub.Api.CreateRepositoryAsync(owner, name, inOrganization, visibility, ct).ConfigureAwait(false);
        run.Done(MirrorBootstrapAction.Created, $"created {owner}/{name} ({visibility}){note}");
        return created;
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

    /// <summary>Where a CI's deploy key is registered: the twin repository.</summary>
    private sealed record KeyStore(
        string Target,
        Func<CancellationToken, Task<IReadOnlyList<ForgeDeployKey>>> List,
        Func<string, string, CancellationToken, Task<ForgeDeployKey>> Add,
        Func<long, CancellationToken, Task> Delete);

    /// <summary>Where a CI's private key goes: the secret store of the repository whose CI pushes.</summary>
    private sealed record SecretStore(
        string Target,
        string Name,
        string Flags,
        Func<CancellationToken, Task<bool>> Exists,
        Func<DeployKeyPair, CancellationToken, Task<ForgeWriteOutcome>> Put,
        string LegacyName,
        Func<CancellationToken, Task<bool>> LegacyExists,
        Func<CancellationToken, Task> DeleteLegacy);

    private static KeyStore GitHubKeys(GitHubSide gitHub, MirrorPair pair)
    {
        var (owner, name) = SplitGitHub(pair);
        return new KeyStore($"GitHub {pair.GitHub}",
            ct => gitHub.Api.ListDeployKeysAsync(owner, name, ct),
            (title, key, ct) => gitHub.Api.AddWriteDeployKeyAsync(owner, name, title, key, ct),
            (id, ct) => gitHub.Api.DeleteDeployKeyAsync(owner, name, id, ct));
    }

    private static KeyStore GitLabKeys(GitLabSide gitLab, GitLabProject? project, MirrorPair pair) => new(
        $"GitLab {pair.GitLab}",
        async ct => (await gitLab.Api.ListDeployKeysAsync(project!.Id, ct).ConfigureAwait(false))
            .Select(k => new ForgeDeployKey(k.Id, k.Title ?? "", k.Key ?? "", k.CanPush)).ToList(),
        async (title, key, ct) =>
        {
            var added = await gitLab.Api.AddWriteDeployKeyAsync(project!.Id, title, key, ct).ConfigureAwait(false);
            return new ForgeDeployKey(added.Id, added.Title ?? title, added.Key ?? key, added.CanPush);
        },
        (id, ct) => gitLab.Api.DeleteDeployKeyAsync(project!.Id, id, ct));

    private static SecretStore GitHubSecretStore(GitHubSide gitHub, MirrorPair pair)
    {
        var (owner, name) = SplitGitHub(pair);
        return new SecretStore($"GitHub {pair.GitHub}", MirrorCiVariables.GitHubSecretName, "Actions secret, sealed with the repository's public key",
            ct => gitHub.Api.ActionsSecretExistsAsync(owner, name, MirrorCiVariables.GitHubSecretName, ct),
            (key, ct) => gitHub.Api.PutActionsSecretAsync(owner, name, MirrorCiVariables.GitHubSecretName, key.SecretValue, ct),
            MirrorCiVariables.LegacyGitHubTokenSecret,
            ct => gitHub.Api.ActionsSecretExistsAsync(owner, name, MirrorCiVariables.LegacyGitHubTokenSecret, ct),
            ct => gitHub.Api.DeleteActionsSecretAsync(owner, name, MirrorCiVariables.LegacyGitHubTokenSecret, ct));
    }

    private SecretStore GitLabSecretStore(GitLabSide gitLab, GitLabProject? project, MirrorPair mirrorPair)
    {
        var key = MirrorCiVariables.GitLabKeyVariable;
        var legacy = MirrorCiVariables.LegacyGitLabTokenVariable;
        return new SecretStore($"GitLab {mirrorPair.GitLab}", key,
            $"CI/CD variable, masked and hidden, {(_options.ProtectVariables ? "protected" : "not protected")}",
            async ct => await gitLab.Api.GetProjectVariableAsync(project!.Id, key, ct).ConfigureAwait(false) is not null,
            async (pair, ct) =>
            {
                var wanted = MirrorCiVariables.GitLabDeployKey(pair, _options.ProtectVariables);
                var existing = await gitLab.Api.GetProjectVariableAsync(project!.Id, key, ct).ConfigureAwait(false);
                if (existing is null)
                {
                    await gitLab.Api.CreateProjectVariableAsync(project.Id, wanted, ct).ConfigureAwait(false);
                    return ForgeWriteOutcome.Created;
                }
                if (existing.Hidden) await gitLab.Api.UpdateProjectVariableAsync(project.Id, wanted, ct).ConfigureAwait(false);
                else
                {
                    // A visible variable cannot be made hidden in place: GitLab takes masked_and_hidden on
                    // creation only. Replace it, so the UI never shows the key.
                    await gitLab.Api.DeleteProjectVariableAsync(project.Id, key, ct).ConfigureAwait(false);
                    await gitLab.Api.CreateProjectVariableAsync(project.Id, wanted, ct).ConfigureAwait(false);
                }
                return ForgeWriteOutcome.Updated;
            },
            legacy,
            async ct => await gitLab.Api.GetProjectVariableAsync(project!.Id, legacy, ct).ConfigureAwait(false) is not null,
            ct => gitLab.Api.DeleteProjectVariableAsync(project!.Id, legacy, ct));
    }

    /// <summary>
    /// The DeployKey step of <paramref name="twin"/> and the Secret step of the other side: a write
    /// deploy key on the twin whose private half is the other side's CI secret. Kept when one key of
    /// ours is in place with its secret; otherwise (or with RotateCredentials) a new key is added,
    /// the secret set to it, and only then the old keys deleted, so CI can push throughout. A bot
    /// token an older bootstrap stored in the secret store is deleted.
    /// </summary>
    private async Task ProvisionCiKeyAsync(PairRun run, MirrorSide twin, KeyStore keys, SecretStore secret, bool bothExist, CancellationToken ct)
    {
        var keySide = twin == MirrorSide.GitHub ? MirrorBootstrapSide.GitHub : MirrorBootstrapSide.GitLab;
        var secretSide = twin == MirrorSide.GitHub ? MirrorBootstrapSide.GitLab : MirrorBootstrapSide.GitHub;
        var title = MirrorCiVariables.DeployKeyTitle(run.Pair, twin);
        var addKey = $"add write deploy key '{title} (…)' that can push to this repository only";
        var setSecret = $"set {secret.Name} ({secret.Flags}) to the deploy key's private key";
        if (!bothExist)
        {
            run.Next(MirrorBootstrapStepKind.DeployKey, keySide);
            if (run.ShouldProcess(keys.Target, addKey)) run.Done(MirrorBootstrapAction.Skipped, "deploy key not added: a repository was not created");
            run.Next(MirrorBootstrapStepKind.Secret, secretSide);
            if (run.ShouldProcess(secret.Target, setSecret)) run.Done(MirrorBootstrapAction.Skipped, $"{secret.Name} not set: a repository was not created");
            return;
        }

        run.Next(MirrorBootstrapStepKind.DeployKey, keySide);
        var ours = (await keys.List(ct).ConfigureAwait(false)).Where(k => k.Title.StartsWith(title, StringComparison.Ordinal)).ToList();
        run.Next(MirrorBootstrapStepKind.Secret, secretSide);
        var secretExists = await secret.Exists(ct).ConfigureAwait(false);
        var legacy = await secret.LegacyExists(ct).ConfigureAwait(false);
        var removeLegacy = $"delete {secret.LegacyName}, the bot token an older bootstrap stored there";

        if (!_options.RotateCredentials && ours is [{ CanPush: true } current] && secretExists)
        {
            run.Next(MirrorBootstrapStepKind.DeployKey, keySide);
            run.Done(MirrorBootstrapAction.Unchanged, $"write deploy key '{current.Title}' (id {current.Id}) in place; -RotateCredentials replaces it");
            run.Next(MirrorBootstrapStepKind.Secret, secretSide);
            if (!legacy)
            {
                run.Done(MirrorBootstrapAction.Unchanged, $"{secret.Name} in place ({secret.Flags})");
                return;
            }
            if (!run.ShouldProcess(secret.Target, removeLegacy)) return;
            await secret.DeleteLegacy(ct).ConfigureAwait(false);
            run.Done(MirrorBootstrapAction.Updated, $"{secret.Name} in place; {secret.LegacyName} (the bot's token, from an older bootstrap) deleted");
            return;
        }

        var why = ours.Count == 0 ? null
            : _options.RotateCredentials ? "rotation asked"
            : !secretExists ? $"{secret.Name} is missing"
            : ours.Count > 1 ? $"{ours.Count} keys of ours, one too many"
            : "the key cannot push";
        var replace = ours.Count == 0 ? "" : $", then delete the old key{(ours.Count > 1 ? "s" : "")} {string.Join(", ", ours.Select(k => k.Id))} ({why})";
        // Both questions first: a key nobody holds the private half of, or a secret without its key, helps nobody.
        run.Next(MirrorBootstrapStepKind.DeployKey, keySide);
        var mayAdd = run.Ask(keys.Target, addKey + replace);
        run.Next(MirrorBootstrapStepKind.Secret, secretSide);
        var maySet = run.Ask(secret.Target, setSecret + (legacy ? $", and {removeLegacy}" : ""));
        if (!mayAdd || !maySet)
        {
            run.Next(MirrorBootstrapStepKind.DeployKey, keySide);
            run.Done(MirrorBootstrapAction.Skipped, $"not done (WhatIf or declined): {addKey}{replace}");
            run.Next(MirrorBootstrapStepKind.Secret, secretSide);
            run.Done(MirrorBootstrapAction.Skipped, $"not done (WhatIf or declined): {setSecret}");
            return;
        }

        run.Next(MirrorBootstrapStepKind.DeployKey, keySide);
        var newTitle = $"{title} ({DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ})";
        var pair = DeployKeyPair.Generate("gitmirror");
        var added = await keys.Add(newTitle, pair.PublicKey, ct).ConfigureAwait(false);

        run.Next(MirrorBootstrapStepKind.Secret, secretSide);
        ForgeWriteOutcome outcome;
        try
        {
            outcome = await secret.Put(pair, ct).ConfigureAwait(false);
        }
        catch
        {
            // Nobody holds the new key's private half: take the key back (best effort), keep the old ones.
            var takenBack = true;
            try
            {
                await keys.Delete(added.Id, CancellationToken.None).ConfigureAwait(false);
            }
            catch (ForgeApiException)
            {
                // The failure that matters is the one being rethrown; the next run replaces the stray key.
                takenBack = false;
            }
            run.Next(MirrorBootstrapStepKind.DeployKey, keySide);
            run.Done(MirrorBootstrapAction.Skipped, takenBack
                ? $"write deploy key '{newTitle}' added, then deleted again: {secret.Name} could not be set"
                : $"write deploy key '{newTitle}' (id {added.Id}) added but {secret.Name} could not be set; the next run replaces the key");
            run.Next(MirrorBootstrapStepKind.Secret, secretSide);
            throw;
        }
        if (legacy) await secret.DeleteLegacy(ct).ConfigureAwait(false);
        run.Done(outcome == ForgeWriteOutcome.Created && !legacy ? MirrorBootstrapAction.Created : MirrorBootstrapAction.Updated,
            $"{secret.Name} {(outcome == ForgeWriteOutcome.Created ? "created" : "updated")} ({secret.Flags})"
            + (legacy ? $"; {secret.LegacyName} (the bot's token, from an older bootstrap) deleted" : ""));

        run.Next(MirrorBootstrapStepKind.DeployKey, keySide);
        foreach (var old in ours) await keys.Delete(old.Id, ct).ConfigureAwait(false);
        run.Done(ours.Count == 0 ? MirrorBootstrapAction.Created : MirrorBootstrapAction.Updated,
            $"write deploy key '{newTitle}' (id {added.Id}) added"
            + (ours.Count == 0 ? "" : $"; old key{(ours.Count > 1 ? "s" : "")} {string.Join(", ", ours.Select(k => k.Id))} deleted ({why})"));
    }

    private async Task SetGitHubVariablesAsync(PairRun run, GitHubSide gitHub, bool repoExists, string? gitLabSshUrl, CancellationToken ct)
    {
        var (owner, name) = SplitGitHub(run.Pair);
        var changes = new List<VariableChange>();
        var wanted = MirrorCiVariables.ForGitHub(run.Pair, _options.GitHubBotUser, gitLabSshUrl);
        if (repoExists)
        {
            WarnIfHostUnpinned(run.Pair, "GitHub", wanted.Single(v => v.Name == "GITLAB_SSH_URL").Value,
                await gitHub.Api.GetActionsVariableAsync(owner, name, MirrorCiVariables.KnownHosts, ct).ConfigureAwait(false) is not null);
        }
        foreach (var (key, value) in wanted)
        {
            var current = repoExists ? await gitHub.Api.GetActionsVariableAsync(owner, name, key, ct).ConfigureAwait(false) : null;
            changes.Add(new VariableChange(key, current is null ? MirrorBootstrapAction.Created
                : current == value ? MirrorBootstrapAction.Unchanged : MirrorBootstrapAction.Updated));
        }
        await ApplyVariablesAsync(run, $"GitHub {run.Pair.GitHub}", "Actions", repoExists, changes, async change =>
        {
            var value = wanted.Single(v => v.Name == change.Key).Value;
            if (change.Action == MirrorBootstrapAction.Created) await gitHub.Api.CreateActionsVariableAsync(owner, name, change.Key, value, ct).ConfigureAwait(false);
            else await gitHub.Api.UpdateActionsVariableAsync(owner, name, change.Key, value, ct).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    private async Task SetGitLabVariablesAsync(PairRun run, GitLabSide gitLab, GitLabProject? project, string? gitHubSshUrl, CancellationToken ct)
    {
        var wanted = MirrorCiVariables.ForGitLab(run.Pair, _options.GitLabBotUser, gitHubSshUrl)
            .Select(v => new GitLabVariable(v.Name, v.Value, Masked: false, Protected: false, Raw: true)).ToList();
        var current = project is null ? [] : await gitLab.Api.ListProjectVariablesAsync(project.Id, ct).ConfigureAwait(false);
        if (project is not null)
        {
            WarnIfHostUnpinned(run.Pair, "GitLab", wanted.Single(v => v.Key == "GITHUB_SSH_URL").Value,
                current.Any(c => c.Key == MirrorCiVariables.KnownHosts));
        }
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

    /// <summary>
    /// The templates pin github.com's and gitlab.com's host keys only: a CI pushing to another host
    /// (GitHub Enterprise Server, self-managed GitLab) refuses it until the operator sets its keys.
    /// </summary>
    private void WarnIfHostUnpinned(MirrorPair pair, string ci, string sshUrl, bool knownHostsSet)
    {
        if (knownHostsSet || MirrorCiVariables.SshHost(sshUrl) is not { } host || MirrorCiVariables.HasPinnedHostKeys(host)) return;
        _log.Warning($"{pair.Name}: {ci}'s CI job pushes to {host}, whose SSH host key the templates do not carry: set the {ci} CI variable {MirrorCiVariables.KnownHosts} to that host's known_hosts lines (from its administrator), or the job refuses to connect.");
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
        if (pair.GitHubApp is { } app)
        {
            return Cached(_gitHub, (pair.GitHubApi, $"app {app.Id} {GitHubAuth.OwnerOf(pair.GitHub)}"), () => CheckGitHubAppAsync(pair, app, ct));
        }
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
        var api = new GitHubForge(pair.GitHubApi, token);
        var identity = await api.GetIdentityAsync(ct).ConfigureAwait(false);
        if (identity.Scopes is null)
        {
            _log.Verbose($"The GitHub token of '{identity.Login}' reports no OAuth scopes (fine-grained token): it needs Administration, Contents, Workflows, Secrets and Variables write on the mirrored repositories (Administration for deploy keys).");
        }
        else
        {
            RequireScopes(MirrorSide.GitHub, pair, identity.Scopes, GitHubScopes, identity.Login);
        }
        WarnIfNotBot(MirrorSide.GitHub, identity.Login, _options.GitHubBotUser);
        return new GitHubSide(api, identity);
    }

    /// <summary>A GitHub App acts as its installation: no GET /user (an installation token may not call it), and no scopes but its permissions.</summary>
    private async Task<GitHubSide> CheckGitHubAppAsync(MirrorPair pair, MirrorGitHubApp app, CancellationToken ct)
    {
        var identity = await GitHubAppTokens.Shared.AppAsync(pair.GitHubApi, app, ct).ConfigureAwait(false);
        var token = await GitHubAppTokens.Shared.TokenAsync(pair.GitHubApi, app, GitHubAuth.OwnerOf(pair.GitHub), ct).ConfigureAwait(false);
        _log.Verbose($"GitHub App '{identity.Slug}' (installation {token.InstallationId}, permissions {string.Join(", ", token.Permissions)}): bootstrap needs Administration, Contents, Workflows, Secrets and Variables write.");
        WarnIfNotBot(MirrorSide.GitHub, identity.BotUser, _options.GitHubBotUser);
        return new GitHubSide(GitHubAuth.ApiFor(pair, _environment), new GitHubIdentity(identity.BotUser, null));
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
        return new GitLabSide(api, user.Username);
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
        _log.Warning($"The {side} token belongs to '{owner}', not to the bot user '{botUser}': mirror pushes made with it, and CI pushes with the deploy keys it adds (the forges attribute those to whoever added the key), are not skipped by the CI loop filter, which matches '{botUser}' only.");
    }

    private static (string Owner, string Name) SplitGitHub(MirrorPair pair)
    {
        var slash = pair.GitHub.IndexOf('/');
        return (pair.GitHub[..slash], pair.GitHub[(slash + 1)..]);
    }

    // The tokens stay inside the API clients: nothing here may hand them to CI.
    private sealed record GitHubSide(GitHubForge Api, GitHubIdentity Identity);

    private sealed record GitLabSide(GitLabClient Api, string Username);

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
            (MirrorBootstrapStepKind.DeployKey, MirrorBootstrapSide.GitLab),
            (MirrorBootstrapStepKind.Secret, MirrorBootstrapSide.GitHub),
            (MirrorBootstrapStepKind.DeployKey, MirrorBootstrapSide.GitHub),
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

        /// <summary>Asks without recording anything: the caller reports the step.</summary>
        public bool Ask(string target, string action) => shouldProcess(target, action);

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
