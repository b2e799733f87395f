using System.Text;
using GitMirror.Core.Bootstrap;
using GitMirror.Testing;

namespace GitMirror.CiTemplates.Tests;

/// <summary>The keys bootstrap makes, read back by OpenSSH itself.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // OpenSSH wants an owner-only key file
public sealed class DeployKeyPairTests
{
    [SkippableFact]
    public void OpenSSH_reads_the_private_key_and_derives_the_same_public_key()
    {
        Tools.RequireSshd(); // (ssh-keygen comes with it)
        using var dir = new TempDir("gitmirror-keypair");
        var key = DeployKeyPair.Generate("gitmirror");
        var file = dir.Combine("key");
        File.WriteAllBytes(file, Convert.FromBase64String(key.SecretValue));
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var derived = Proc.Run("ssh-keygen", ["-y", "-f", file], dir.Path, new Dictionary<string, string>());

        Assert.Equal(0, derived.ExitCode);
        Assert.Equal(DeployKeyPair.WithoutComment(key.PublicKey), DeployKeyPair.WithoutComment(derived.Output.Trim()));
        Assert.Equal(DeployKeyPair.WithoutComment(key.PublicKey), DeployKeyPair.PublicKeyFromSecret(key.SecretValue));
        Assert.StartsWith("ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABB", key.PublicKey);
        Assert.EndsWith(" gitmirror", key.PublicKey);
    }

    [Fact]
    public void The_secret_is_one_maskable_line_and_never_printed()
    {
        var key = DeployKeyPair.Generate("gitmirror");

        // GitLab masks only one line of at least 8 characters from A-Z a-z 0-9 _ + = / @ : . ~ -.
        Assert.Matches(@"^[A-Za-z0-9_+=/@:.~-]{8,}\z", key.SecretValue);
        Assert.StartsWith("-----BEGIN EC PRIVATE KEY-----\n", Encoding.ASCII.GetString(Convert.FromBase64String(key.SecretValue)));
        Assert.DoesNotContain(key.SecretValue, key.ToString());
        Assert.NotEqual(key.SecretValue, DeployKeyPair.Generate("gitmirror").SecretValue);
        var e = Assert.Throws<FormatException>(() => DeployKeyPair.PublicKeyFromSecret("bm90IGEga2V5"));
        Assert.DoesNotContain("bm90IGEga2V5", e.Message);
    }
}
