using GitMirror.Core.Config;
using GitMirror.Core.Report;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.Core.Tests.Security;

/// <summary>A password in a refused URL, and a log file left readable by everyone.</summary>
public sealed class LeftoversTests
{
    private const string Canary = "pw-CANARY-11e2f3";
    private const string Pairs = """
        repos:
          - github: myorg/repo1
            gitlab: team/repo1
        """;

    [Theory]
    [InlineData("api", "ftp://bot:" + Canary + "@ghe.example/api/v3")]
    [InlineData("api", "gopher://" + Canary + "@ghe.example")]
    [InlineData("url", "ssh+x://bot:" + Canary + "@ghe.example/x")]
    [InlineData("url", "http://bot:" + Canary + "@10.0.0.5/x")]
    public void A_refused_url_is_shown_without_its_password(string key, string url)
    {
        var e = Assert.Throws<MirrorConfigException>(() => ConfigLoader.Parse($"github:\n  {key}: {url}\n{Pairs}", "/cfg/repos.yaml"));

        Assert.Equal("github." + key, e.Key);
        Assert.DoesNotContain(Canary, e.ToString());
    }

    [SkippableFact]
    public void A_log_file_that_already_exists_world_writable_is_made_owner_only()
    {
        Skip.If(OperatingSystem.IsWindows(), "file modes are POSIX");
        if (OperatingSystem.IsWindows()) return; // for the platform analyzer
        using var dir = new TempDir();
        var path = dir.Combine("serve.jsonl");
        File.WriteAllText(path, "");
        File.SetUnixFileMode(path, (UnixFileMode)0b110_110_110); // 0666, as a loose umask or a hand leaves it

        new JsonLineLog(path, "run1", SecretRedactor.None).WriteServiceLine("app", null, "refused", "GitHub", null, null, "401", "missing signature");

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Single(File.ReadAllLines(path));
    }
}
