using System.Security.Cryptography;
using GitMirror.Core.Config;

namespace GitMirror.Core.Service;

/// <summary>
/// Where the webhook secret lives: the environment variable the config names (webhookSecretEnv:,
/// default GITMIRROR_WEBHOOK_SECRET), else the owner-only file <c>&lt;cache&gt;/webhook-secret</c>
/// that <c>Initialize-MirrorBootstrap -Trigger Webhook</c> writes when the variable is unset.
/// </summary>
public static class WebhookSecretSource
{
    public const string FileName = "webhook-secret";

    public static string FilePath(MirrorConfig config) => Path.Combine(config.CachePath, FileName);

    /// <summary>The secret, or null when neither the variable nor the file holds one.</summary>
    /// <exception cref="InvalidOperationException">The file can be read by others: it is not used.</exception>
    public static string? Read(MirrorConfig config, out string source)
    {
        source = "$" + config.WebhookSecretEnv;
        if (Environment.GetEnvironmentVariable(config.WebhookSecretEnv) is { } value && !string.IsNullOrWhiteSpace(value)) return value.Trim();
        var path = FilePath(config);
        source = path;
        if (!File.Exists(path)) return null;
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
        {
            throw new InvalidOperationException($"The webhook secret file {path} is readable or writable by others; run: chmod 600 '{path}'");
        }
        var text = File.ReadAllText(path).Trim();
        return text.Length == 0 ? null : text;
    }

    /// <summary>The secret; when there is none, a new random one written to the owner-only file.</summary>
    public static string GetOrCreate(MirrorConfig config, out string source, out bool created)
    {
        created = false;
        if (Read(config, out source) is { } existing) return existing;
        CacheLocation.EnsurePrivateDirectory(config.CachePath);
        var secret = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var file = new StreamWriter(FilePath(config), options)) file.Write(secret + "\n");
        source = FilePath(config);
        created = true;
        return secret;
    }
}
