using System.Management.Automation;
using GitMirror.Core.Bootstrap;
using GitMirror.Core.Forges;

namespace GitMirror.Commands;

/// <summary>
/// Sets pairs up for CI mirroring: creates missing repositories, stores each bot's token as the
/// other platform's CI secret, sets the CI variables and installs the CI files. Emits one
/// MirrorBootstrapResult per pair; a pair's failure is an error record and the next pair goes on.
/// </summary>
[Cmdlet(VerbsData.Initialize, "MirrorBootstrap", DefaultParameterSetName = AllSet, SupportsShouldProcess = true)]
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

    /// <summary>Store GitLab's GITHUB_TOKEN as a protected variable (only protected branches' pipelines see it).</summary>
    [Parameter]
    public SwitchParameter ProtectVariables { get; set; }

    protected override void EndProcessing()
    {
        var options = new MirrorBootstrapOptions
        {
            GitHubBotUser = BotUser(GitHubBotUser, "MIRROR_BOT_USER_GITHUB", nameof(GitHubBotUser)),
            GitLabBotUser = BotUser(GitLabBotUser, "MIRROR_BOT_USER_GITLAB", nameof(GitLabBotUser)),
            Visibility = Enum.Parse<MirrorRepositoryVisibility>(Visibility, ignoreCase: true),
            ProtectVariables = ProtectVariables,
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
            MirrorBootstrapFailure.TokenNotMaskable => ErrorCategory.InvalidData,
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
            MirrorBootstrapFailure.TokenNotMaskable => "Use a GitHub token GitLab can mask (classic and fine-grained GitHub tokens can), then run again.",
            _ => "Fix the cause named in the message and run again: bootstrap is idempotent.",
        };
        return new ErrorRecord(failure, failure.ErrorId, category, pair)
        {
            ErrorDetails = new ErrorDetails(failure.Message) { RecommendedAction = recommended },
        };
    }
}
