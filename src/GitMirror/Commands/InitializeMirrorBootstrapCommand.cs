using System.Management.Automation;
using GitMirror.Core.Bootstrap;
using GitMirror.Core.Forges;

namespace GitMirror.Commands;

/// <summary>
/// Sets pairs up for CI mirroring: creates missing repositories, gives each side's CI a write deploy
/// key for its twin only (the bots' tokens never go to CI), sets the CI variables and installs the
/// CI files. Emits one
/// MirrorBootstrapResult per pair; a pair's failure is an error record and the next pair goes on.
/// </summary>
[Cmdlet(VerbsData.Initialize, "MirrorBootstrap", DefaultParameterSetName = AllSet, SupportsShouldProcess = true, HelpUri = HelpUris.Docs + "Initialize-MirrorBootstrap.md")]
[OutputType(typeof(MirrorBootstrapResult))]
public sealed class InitializeMirrorBootstrapCommand : SelectedPairsCommandBase
{
    /// <summary>Visibility of repositories bootstrap creates (existing ones are left as they are).</summary>
    [Parameter]
    [ValidateSet("Private", "Internal", "Public", IgnoreCase = true)]
    public string Visibility { get; set; } = "Private";

    /// <summary>The GitHub bot's login; default $env:MIRROR_BOT_USER_GITHUB.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? GitHubBotUser { get; set; }

    /// <summary>The GitLab bot's username; default $env:MIRROR_BOT_USER_GITLAB.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? GitLabBotUser { get; set; }

    /// <summary>Store GitLab's GITHUB_DEPLOY_KEY as a protected variable (only protected branches' pipelines see it).</summary>
    [Parameter]
    public SwitchParameter ProtectVariables { get; set; }

    /// <summary>
    /// Replace the CI deploy keys even where they are in place: a new key is added on each twin, the
    /// CI secret set to it, then the old key deleted. Without it, keys in place are kept.
    /// </summary>
    [Parameter]
    public SwitchParameter RotateCredentials { get; set; }

    /// <summary>
    /// Ci (default): CI secrets, variables and files. Webhook: a push webhook on both sides to the
    /// `gitmirror serve` at -ServiceUrl, and nothing in CI (no files, no secrets).
    /// </summary>
    [Parameter]
    [ValidateSet("Ci", "Webhook", IgnoreCase = true)]
    public string Trigger { get; set; } = "Ci";

    /// <summary>Base URL of `gitmirror serve` as GitHub and GitLab reach it (https://…); -Trigger Webhook only.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ServiceUrl { get; set; }

    protected override void EndProcessing()
    {
        var trigger = Enum.Parse<MirrorBootstrapTrigger>(Trigger, ignoreCase: true);
        var webhook = trigger == MirrorBootstrapTrigger.Webhook;
        var options = new MirrorBootstrapOptions
        {
            GitHubBotUser = webhook ? GitHubBotUser ?? "" : GitHubAppBotUser() ?? BotUser(GitHubBotUser, "MIRROR_BOT_USER_GITHUB", nameof(GitHubBotUser)),
            GitLabBotUser = webhook ? GitLabBotUser ?? "" : BotUser(GitLabBotUser, "MIRROR_BOT_USER_GITLAB", nameof(GitLabBotUser)),
            Visibility = Enum.Parse<MirrorRepositoryVisibility>(Visibility, ignoreCase: true),
            ProtectVariables = ProtectVariables,
            RotateCredentials = RotateCredentials,
            Trigger = trigger,
            ServiceUrl = webhook ? CheckedServiceUrl() : null,
            WebhookSecret = webhook ? WebhookSecret() : null,
        };
        var pairs = SelectedPairs();
        // The installer runs only after the CiFiles step's ShouldProcess agreed: under -WhatIf it neither syncs nor commits.
        var bootstrapper = new MirrorBootstrapper(options, new CiFilesInstaller(Log), Log);
        ForEachPair(pairs, "Bootstrapping mirror pairs", async (pair, ct) =>
        {
            var outcome = await bootstrapper.BootstrapAsync(pair, ShouldProcessFromWorker, ct).ConfigureAwait(false);
            return () =>
            {
                if (outcome.Failure is { } failure) WriteError(ErrorOf(failure, pair));
                WriteObject(outcome.Result);
            };
        });
    }

    /// <summary>
    /// -ServiceUrl for -Trigger Webhook: https, or http to a loopback address (a local test service);
    /// anything else would send the hooks' secret in clear text.
    /// </summary>
    private string CheckedServiceUrl()
    {
        if (string.IsNullOrWhiteSpace(ServiceUrl))
        {
            ThrowTerminatingError(new ErrorRecord(new PSArgumentException("-Trigger Webhook needs -ServiceUrl: the base URL of `gitmirror serve` as GitHub and GitLab reach it (https://…).", nameof(ServiceUrl)),
                "MirrorServiceUrlMissing", ErrorCategory.InvalidArgument, null));
        }
        if (!Uri.TryCreate(ServiceUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || !string.IsNullOrEmpty(uri.UserInfo)
            || !string.IsNullOrEmpty(uri.Query) || (uri.Scheme == "http" && !Core.Transport.HttpOrigin.IsLoopback(uri)))
        {
            ThrowTerminatingError(new ErrorRecord(new PSArgumentException($"-ServiceUrl '{ServiceUrl}' must be an https:// base URL without credentials or query (http:// only for a loopback address): the forges send the webhook secret to it.", nameof(ServiceUrl)),
                "MirrorServiceUrlInvalid", ErrorCategory.InvalidArgument, ServiceUrl));
        }
        return uri!.GetLeftPart(UriPartial.Path).TrimEnd('/');
    }

    /// <summary>The secret `gitmirror serve` will verify with: its variable, its file, or a new one in the owner-only file.</summary>
    private string WebhookSecret()
    {
        var config = LoadConfig();
        if (IsWhatIf)
        {
            return Core.Service.WebhookSecretSource.Read(config, out _) ?? "(generated at the real run)";
        }
        var secret = Core.Service.WebhookSecretSource.GetOrCreate(config, out var source, out var created);
        if (created)
        {
            WriteWarning($"Generated a webhook secret into {source} (owner-only). `gitmirror serve` with this config reads it from there; or set ${config.WebhookSecretEnv} to its content.");
        }
        else
        {
            WriteVerbose($"Webhook secret from {source}");
        }
        return secret;
    }

    /// <summary>
    /// With a GitHub App (github.app), GitHub attributes the mirror's pushes to the App's
    /// <c>slug[bot]</c> user (GET /app): that is the bot the CI loop filter must skip, unless
    /// -GitHubBotUser says otherwise. Null without an App.
    /// </summary>
    private string? GitHubAppBotUser()
    {
        if (!string.IsNullOrWhiteSpace(GitHubBotUser)) return null;
        Core.Config.MirrorConfig config;
        try
        {
            config = Core.Config.ConfigLoader.Load(ResolveFileSystemPath(Core.Config.ConfigLoader.ChoosePath(Path), nameof(Path)));
        }
        catch (Core.Config.MirrorConfigException)
        {
            return null; // reported where the config is loaded for the run, after the usage checks
        }
        if (config.GitHub.App is not { } app) return null;
        try
        {
            var identity = Core.Forges.GitHub.GitHubAppTokens.Shared.AppAsync(config.GitHub.Api, app, StopToken).GetAwaiter().GetResult();
            WriteVerbose($"GitHub bot user: {identity.BotUser} (the GitHub App '{identity.Slug}')");
            return identity.BotUser;
        }
        catch (ForgeApiException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, "MirrorGitHubAppFailed", ErrorCategory.AuthenticationError, null)
            {
                ErrorDetails = new ErrorDetails(e.Message) { RecommendedAction = "Fix github.app or the App's private key named in the message, then run again." },
            });
            return null; // not reached: ThrowTerminatingError always throws
        }
    }

    private string BotUser(string? given, string environmentVariable, string parameter)
    {
        var user = !string.IsNullOrWhiteSpace(given) ? given : Environment.GetEnvironmentVariable(environmentVariable);
        if (!string.IsNullOrWhiteSpace(user)) return user.Trim();
        ThrowTerminatingError(new ErrorRecord(
            new PSArgumentException($"No bot user given: pass -{parameter} or set $env:{environmentVariable}. The CI loop filter needs the bot's account name.", parameter),
            "MirrorBotUserMissing", ErrorCategory.InvalidArgument, null));
        return null!; // not reached: ThrowTerminatingError always throws
    }

    private static ErrorRecord ErrorOf(MirrorBootstrapException failure, MirrorPair pair)
    {
        var category = failure.Failure switch
        {
            MirrorBootstrapFailure.TokenMissing => ErrorCategory.AuthenticationError,
            MirrorBootstrapFailure.TokenScopeMissing => ErrorCategory.PermissionDenied,
            MirrorBootstrapFailure.OwnerNotFound => ErrorCategory.ObjectNotFound,
            _ => failure.ForgeFailure switch
            {
                ForgeFailureKind.Authentication => ErrorCategory.AuthenticationError,
                ForgeFailureKind.Permission => ErrorCategory.PermissionDenied,
                ForgeFailureKind.NotFound => ErrorCategory.ObjectNotFound,
                ForgeFailureKind.Invalid => ErrorCategory.InvalidData,
                ForgeFailureKind.Conflict => ErrorCategory.ResourceExists,
                ForgeFailureKind.RateLimited => ErrorCategory.LimitsExceeded,
                ForgeFailureKind.Timeout => ErrorCategory.OperationTimeout,
                ForgeFailureKind.Server or ForgeFailureKind.Unreachable => ErrorCategory.ConnectionError,
                ForgeFailureKind.RedirectRefused => ErrorCategory.SecurityError,
                _ => ErrorCategory.NotSpecified,
            },
        };
        var recommended = failure.Failure switch
        {
            MirrorBootstrapFailure.TokenMissing => "Set the environment variable named in the message to the bot's token.",
            MirrorBootstrapFailure.TokenScopeMissing => "Give the bot's token the scopes named in the message, then run again.",
            _ => "Fix the cause named in the message and run again: bootstrap is idempotent.",
        };
        return new ErrorRecord(failure, failure.ErrorId, category, pair)
        {
            ErrorDetails = new ErrorDetails(failure.Message) { RecommendedAction = recommended },
        };
    }
}
