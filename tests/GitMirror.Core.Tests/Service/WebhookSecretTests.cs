using GitMirror.Core.Config;
using GitMirror.Core.Service;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.Core.Tests.Service;

public sealed class WebhookSecretTests : IDisposable
{
    private readonly TempDir _dir = new("webhook-secret");

    public void Dispose() => _dir.Dispose();

    private MirrorConfig Config(string? secretEnvLine) => ConfigLoader.Parse($"""
        version: 1
        cache: {_dir.Combine("cache")}
        {secretEnvLine ?? ""}
        repos:
          - github: o/r
            gitlab: g/r
        """, _dir.Combine("repos.yaml"));

    [Fact]
    public void WebhookSecretEnv_is_a_top_level_key_naming_a_variable_and_defaults_to_GITMIRROR_WEBHOOK_SECRET()
    {
        Assert.Equal("GITMIRROR_WEBHOOK_SECRET", Config(null).WebhookSecretEnv);
        Assert.Equal("HOOK_SECRET_2", Config("webhookSecretEnv: HOOK_SECRET_2").WebhookSecretEnv);
        var e = Assert.Throws<MirrorConfigException>(() => Config("webhookSecretEnv: not a name"));
        Assert.Equal((3, "webhookSecretEnv"), (e.Line, e.Key));
    }

    [Fact]
    public void The_variable_wins_else_the_owner_only_file_which_is_created_once_and_refused_when_others_can_read_it()
    {
        var variable = "GM_TEST_HOOK_" + Guid.NewGuid().ToString("N");
        var config = Config($"webhookSecretEnv: {variable}");
        Assert.Null(WebhookSecretSource.Read(config, out _));

        var created = WebhookSecretSource.GetOrCreate(config, out var source, out var isNew);
        Assert.True(isNew);
        Assert.Equal(WebhookSecretSource.FilePath(config), source);
        Assert.Equal(64, created.Length);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(source));
        Assert.Equal(created, WebhookSecretSource.GetOrCreate(config, out _, out isNew));
        Assert.False(isNew);

        Environment.SetEnvironmentVariable(variable, "from-the-environment");
        try
        {
            Assert.Equal("from-the-environment", WebhookSecretSource.Read(config, out source));
            Assert.Equal("$" + variable, source);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }

        if (OperatingSystem.IsWindows()) return;
        File.SetUnixFileMode(WebhookSecretSource.FilePath(config), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        Assert.Contains("chmod 600", Assert.Throws<InvalidOperationException>(() => WebhookSecretSource.Read(config, out _)).Message);
    }
}
