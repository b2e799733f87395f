using System.Globalization;
using GitMirror.Core.Config;
using GitMirror.Core.Forges.GitHub;
using GitMirror.Core.Forges.GitLab;

namespace GitMirror.Core.Forges;

/// <summary>
/// Asks each forge about the credential GitMirror uses for it: whose it is, its scopes, when it
/// expires and whether it still works. One or two API calls per forge, cheap enough for every run
/// or poll; never throws for a refused or missing credential (that is a <c>Valid = false</c> answer).
/// </summary>
public static class CredentialProbe
{
    /// <summary>The scopes a classic GitHub token needs for sync (design: repo and workflow).</summary>
    private static readonly string[] GitHubSyncScopes = ["repo", "workflow"];

    private static readonly string[] GitLabSyncScopes = ["api", "write_repository"];

    /// <summary>What <paramref name="forge"/> says about the credential <paramref name="config"/> gives GitMirror for it.</summary>
    /// <param name="environment">Reads environment variables (tests).</param>
    /// <param name="now">The clock for DaysLeft (tests).</param>
    public static async Task<MirrorCredential> ProbeAsync(MirrorConfig config, MirrorSide forge, CancellationToken ct,
        Func<string, string?>? environment = null, Func<DateTimeOffset>? now = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var clock = now ?? (() => DateTimeOffset.UtcNow);
        var settings = forge == MirrorSide.GitHub ? config.GitHub : config.GitLab;
        if (!IsHttp(settings.Url))
        {
            return new MirrorCredential { Forge = forge, Kind = MirrorCredentialKind.Other, Valid = true, Message = "local repositories: no credential is used" };
        }
        try
        {
            return forge == MirrorSide.GitHub
                ? settings.App is { } app
                    ? await GitHubAppAsync(config, app, clock, ct).ConfigureAwait(false)
                    : await GitHubTokenAsync(settings, environment, clock, ct).ConfigureAwait(false)
                : await GitLabTokenAsync(settings, environment, clock, ct).ConfigureAwait(false);
        }
        catch (ForgeApiException e)
        {
            return Refused(forge, settings, e);
        }
    }

    /// <summary>Both forges, GitHub first.</summary>
    public static async Task<IReadOnlyList<MirrorCredential>> ProbeAllAsync(MirrorConfig config, CancellationToken ct,
        Func<string, string?>? environment = null, Func<DateTimeOffset>? now = null) =>
        [
            await ProbeAsync(config, MirrorSide.GitHub, ct, environment, now).ConfigureAwait(false),
            await ProbeAsync(config, MirrorSide.GitLab, ct, environment, now).ConfigureAwait(false),
        ];

    private static async Task<MirrorCredential> GitHubAppAsync(MirrorConfig config, MirrorGitHubApp app, Func<DateTimeOffset> now, CancellationToken ct)
    {
        var identity = await GitHubAppTokens.Shared.AppAsync(config.GitHub.Api, app, ct).ConfigureAwait(false);
        // The installation of the first pair's owner stands for the App (installationId when configured).
        var owner = config.Pairs.Count > 0 ? GitHubAuth.OwnerOf(config.Pairs[0].GitHub) : "";
        var token = await GitHubAppTokens.Shared.TokenAsync(config.GitHub.Api, app, owner, ct).ConfigureAwait(false);
        return new MirrorCredential
        {
            Forge = MirrorSide.GitHub,
            Kind = MirrorCredentialKind.GitHubApp,
            User = identity.BotUser,
            Scopes = [.. token.Permissions],
            ExpiresAt = token.ExpiresAt,
            DaysLeft = MirrorCredential.DaysUntil(token.ExpiresAt, now()),
            Valid = true,
            Message = $"GitHub App '{identity.Slug}', installation {token.InstallationId}: its short-lived token is renewed before it expires",
        };
    }

    private static async Task<MirrorCredential> GitHubTokenAsync(ForgeSettings settings, Func<string, string?> environment, Func<DateTimeOffset> now, CancellationToken ct)
    {
        if (Token(settings, environment) is not { } token) return Missing(MirrorSide.GitHub, settings);
        var facts = await new GitHubForge(settings.Api, token).GetTokenFactsAsync(ct).ConfigureAwait(false);
        var kind = token.StartsWith("ghp_", StringComparison.Ordinal) || token.StartsWith("github_pat_", StringComparison.Ordinal) || facts.Scopes is not null
            ? MirrorCredentialKind.PersonalAccessToken
            : MirrorCredentialKind.Other;
        var missing = facts.Scopes is { } scopes ? GitHubSyncScopes.Where(s => !scopes.Contains(s, StringComparer.OrdinalIgnoreCase)).ToList() : [];
        return Answer(MirrorSide.GitHub, kind, facts.Login, facts.Scopes ?? [], facts.ExpiresAt, settings.TokenEnv, now(),
            missing.Count > 0 ? $"lacks the scope{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing)}" : facts.Scopes is null ? "fine-grained: it reports no scopes" : null);
    }

    private static async Task<MirrorCredential> GitLabTokenAsync(ForgeSettings settings, Func<string, string?> environment, Func<DateTimeOffset> now, CancellationToken ct)
    {
        if (Token(settings, environment) is not { } token) return Missing(MirrorSide.GitLab, settings);
        using var client = new GitLabClient(settings.Api, token);
        var user = await client.GetCurrentUserAsync(ct).ConfigureAwait(false);
        GitLabTokenInfo info;
        try
        {
            info = await client.GetCurrentTokenAsync(ct).ConfigureAwait(false);
        }
        catch (ForgeApiException e) when (e.Kind == ForgeFailureKind.NotFound)
        {
            // GitLab before 15.5, or a token that is no personal/project/group access token (OAuth).
            return new MirrorCredential
            {
                Forge = MirrorSide.GitLab, Kind = MirrorCredentialKind.Other, User = user.Username, Valid = true,
                Message = $"GitLab does not say when the token in {settings.TokenEnv} expires (GET /personal_access_tokens/self needs GitLab 15.5+ and an access token)",
            };
        }
        // GitLab's expires_at is a date: the token stops working at its first moment, 00:00 UTC.
        DateTimeOffset? expiresAt = DateTimeOffset.TryParseExact(info.ExpiresAt, "yyyy-MM-dd", CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var day) ? day : null;
        if (info.Revoked == true || info.Active == false)
        {
            return new MirrorCredential
            {
                Forge = MirrorSide.GitLab, Kind = MirrorCredentialKind.PersonalAccessToken, User = user.Username, Scopes = info.Scopes ?? [],
                ExpiresAt = expiresAt, DaysLeft = MirrorCredential.DaysUntil(expiresAt, now()), Valid = false,
                Message = $"the token in {settings.TokenEnv} is {(info.Revoked == true ? "revoked" : "no longer active")}: create a new one and set {settings.TokenEnv}",
            };
        }
        var missing = GitLabSyncScopes.Where(s => !(info.Scopes ?? []).Contains(s, StringComparer.OrdinalIgnoreCase)).ToList();
        return Answer(MirrorSide.GitLab, MirrorCredentialKind.PersonalAccessToken, user.Username, info.Scopes ?? [], expiresAt, settings.TokenEnv, now(),
            missing.Count > 0 ? $"lacks the scope{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing)}" : null);
    }

    private static MirrorCredential Answer(MirrorSide forge, MirrorCredentialKind kind, string? user, IEnumerable<string> scopes, DateTimeOffset? expiresAt,
        string variable, DateTimeOffset now, string? remark)
    {
        var expired = expiresAt is { } at && at <= now;
        var when = expiresAt is not { } date ? "never expires"
            : expired ? $"expired on {date:yyyy-MM-dd}: create a new one and set {variable}"
            : $"expires on {date:yyyy-MM-dd} ({MirrorCredential.DaysUntil(date, now)} days left)";
        return new MirrorCredential
        {
            Forge = forge,
            Kind = kind,
            User = user,
            Scopes = [.. scopes],
            ExpiresAt = expiresAt,
            DaysLeft = MirrorCredential.DaysUntil(expiresAt, now),
            Valid = !expired,
            Message = $"the token in {variable} {when}" + (remark is null ? "" : $"; {remark}"),
        };
    }

    private static MirrorCredential Missing(MirrorSide forge, ForgeSettings settings) => new()
    {
        Forge = forge,
        Kind = MirrorCredentialKind.Other,
        Valid = false,
        Message = $"no token: the environment variable {settings.TokenEnv} is not set",
    };

    private static MirrorCredential Refused(MirrorSide forge, ForgeSettings settings, ForgeApiException e) => new()
    {
        Forge = forge,
        Kind = settings.App is not null ? MirrorCredentialKind.GitHubApp : MirrorCredentialKind.Other,
        Valid = false,
        Message = e.Kind == ForgeFailureKind.Authentication && settings.App is null && e.StatusCode == 401
            ? $"{forge} refused the token in {settings.TokenEnv} (401): it is expired, revoked or wrong; create a new one and set {settings.TokenEnv}"
            : e.Message,
    };

    private static string? Token(ForgeSettings settings, Func<string, string?> environment)
    {
        Transport.ProcessHardening.ProtectSecrets();
        return environment(settings.TokenEnv) is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
    }

    private static bool IsHttp(string url) => url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
}
