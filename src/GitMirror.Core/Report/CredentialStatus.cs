using System.Text.Json;
using System.Text.Json.Serialization;
using GitMirror.Core.Config;
using GitMirror.Core.Unattended;

namespace GitMirror.Core.Report;

/// <summary>
/// The last credential check of each forge (<c>&lt;cache&gt;/status/credentials.json</c>), so that
/// Get-MirrorStatus can say a token is expiring without asking the forges itself. Holds only what
/// <see cref="MirrorCredential"/> holds: never a token.
/// </summary>
public sealed partial class CredentialStatus(string cacheDir, IMirrorLog? log = null)
{
    public const string FileName = "credentials.json";

    private readonly IMirrorLog _log = log ?? NullMirrorLog.Instance;

    /// <summary>How many days before its expiry a token is worth a warning, unless <c>tokenExpiryWarningDays</c> says otherwise.</summary>
    public const int WarningDays = Config.NotifySettings.DefaultTokenExpiryWarningDays;

    /// <summary>
    /// What is wrong with a credential, in words, or null when nothing is: refused, missing, or a
    /// token (not a GitHub App's, which GitMirror renews itself) expiring within <see cref="WarningDays"/>.
    /// </summary>
    public static string? NeedsAttention(MirrorCredential credential, int warningDays = WarningDays) =>
        !credential.Valid ? credential.Message ?? "not valid"
        : credential.Kind != MirrorCredentialKind.GitHubApp && credential.DaysLeft is { } days && days < warningDays
            ? $"the token expires on {credential.ExpiresAt!.Value.UtcDateTime:yyyy-MM-dd} ({days} day{(days == 1 ? "" : "s")} left): renew it before then"
        : null;

    public string FilePath => Path.Combine(cacheDir, StatusStore.DirectoryName, FileName);

    /// <summary>Stores what a probe found, replacing the forges it covers.</summary>
    public void Record(IReadOnlyList<MirrorCredential> credentials, DateTimeOffset probedAt)
    {
        var kept = Load()?.Credentials.Where(c => credentials.All(n => n.Forge != c.Forge)) ?? [];
        var file = new CredentialFile
        {
            Credentials = [.. kept, .. credentials.Select(c => new CredentialEntry
            {
                Forge = c.Forge, Kind = c.Kind, User = c.User, Scopes = c.Scopes, ExpiresAt = c.ExpiresAt, Valid = c.Valid, Message = c.Message,
                ProbedAt = probedAt,
            })],
        };
        CacheTrust.EnsureSubdirectory(cacheDir, StatusStore.DirectoryName);
        CacheTrust.CheckEntry(FilePath);
        AtomicFile.WriteAllBytesVolatile(FilePath, JsonSerializer.SerializeToUtf8Bytes(file, CredentialJson.Default.CredentialFile));
    }

    /// <summary>The last recorded check of each forge (DaysLeft counted from <paramref name="now"/>); empty when none was recorded.</summary>
    public IReadOnlyList<(MirrorCredential Credential, DateTimeOffset ProbedAt)> Read(DateTimeOffset now) =>
        Load()?.Credentials.OrderBy(c => c.Forge).Select(c => (new MirrorCredential
        {
            Forge = c.Forge, Kind = c.Kind, User = c.User, Scopes = c.Scopes ?? [], ExpiresAt = c.ExpiresAt,
            DaysLeft = MirrorCredential.DaysUntil(c.ExpiresAt, now),
            Valid = c.Valid && (c.ExpiresAt is not { } at || at > now), Message = c.Message,
        }, c.ProbedAt)).ToList() ?? [];

    private CredentialFile? Load()
    {
        try
        {
            ExclusiveFile.RefuseLink(FilePath);
            return JsonSerializer.Deserialize(File.ReadAllBytes(FilePath), CredentialJson.Default.CredentialFile);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            _log.Warning($"Cannot read the last credential check from {FilePath}: {e.Message}. The next check rewrites it.");
            return null;
        }
    }

    private sealed record CredentialFile
    {
        public int Version { get; init; } = 1;
        public CredentialEntry[] Credentials { get; init; } = [];
    }

    private sealed record CredentialEntry
    {
        public MirrorSide Forge { get; init; }
        public MirrorCredentialKind Kind { get; init; }
        public string? User { get; init; }
        public string[]? Scopes { get; init; }
        public DateTimeOffset? ExpiresAt { get; init; }
        public bool Valid { get; init; }
        public string? Message { get; init; }
        public DateTimeOffset ProbedAt { get; init; }
    }

    [JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true, WriteIndented = true)]
    [JsonSerializable(typeof(CredentialFile))]
    private sealed partial class CredentialJson : JsonSerializerContext;
}
