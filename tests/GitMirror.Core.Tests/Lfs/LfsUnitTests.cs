using System.Security.Cryptography;
using System.Text;
using GitMirror.Core.Config;
using GitMirror.Core.Lfs;
using GitMirror.Core.Transport;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.Core.Tests.Lfs;

public class LfsPointerTests
{
    private const string Oid = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393";

    [Fact]
    public void A_pointer_file_is_read()
    {
        var pointer = LfsPointer.TryParse(Encoding.UTF8.GetBytes(LfsPointer.Format(Oid, 12345)), "a/b.bin");
        Assert.Equal(new LfsPointer(Oid, 12345, "a/b.bin"), pointer);
    }

    [Theory]
    [InlineData("just a file\n")]
    [InlineData("version https://git-lfs.github.com/spec/v1\noid sha256:xyz\nsize 1\n")]
    [InlineData("version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n")]
    [InlineData("version https://git-lfs.github.com/spec/v1\noid sha256:../../../../etc/passwd00000000000000000000000000000000000000000\nsize 1\n")]
    public void Anything_else_is_not_a_pointer(string text) => Assert.Null(LfsPointer.TryParse(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public void Only_the_same_scheme_host_and_port_is_the_same_origin()
    {
        var origin = new Uri("https://gitlab.example.com/g/p.git/info/lfs/objects/batch");
        Assert.True(HttpOrigin.SameOrigin(new Uri("https://GITLAB.example.com:443/g/p.git/gitlab-lfs/objects/1"), origin));
        Assert.False(HttpOrigin.SameOrigin(new Uri("http://gitlab.example.com/g/p.git"), origin));
        Assert.False(HttpOrigin.SameOrigin(new Uri("https://gitlab.example.com:8443/g/p.git"), origin));
        Assert.False(HttpOrigin.SameOrigin(new Uri("https://storage.example.com/g/p.git"), origin));
    }
}

public class VerifyingStreamTests
{
    private static (byte[] Content, LfsPointer Pointer) Object(int size)
    {
        var content = RandomNumberGenerator.GetBytes(size);
        return (content, new LfsPointer(Convert.ToHexString(SHA256.HashData(content)).ToLowerInvariant(), size, "x.bin"));
    }

    [Fact]
    public async Task The_right_content_passes_through()
    {
        var (content, pointer) = Object(200_000);
        using var copy = new MemoryStream();
        await new VerifyingStream(new MemoryStream(content), pointer, "GitHub (o/r)").CopyToAsync(copy);
        Assert.Equal(content, copy.ToArray());
    }

    [Fact]
    public async Task Wrong_content_fails_before_its_last_byte_is_handed_on()
    {
        var (content, pointer) = Object(100_000);
        content[5] ^= 1;
        using var copy = new MemoryStream();
        var e = await Assert.ThrowsAsync<LfsException>(() => new VerifyingStream(new MemoryStream(content), pointer, "GitHub (o/r)").CopyToAsync(copy));
        Assert.Contains("wrong content", e.Message);
        Assert.True(copy.Length < content.Length);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(+1)]
    public async Task A_short_or_long_object_fails(int delta)
    {
        var (content, pointer) = Object(1000);
        var served = delta < 0 ? content[..^1] : [.. content, 0];
        var e = await Assert.ThrowsAsync<LfsException>(() => new VerifyingStream(new MemoryStream(served), pointer, "GitHub (o/r)").CopyToAsync(Stream.Null));
        Assert.Contains("x.bin", e.Message);
    }
}

public class LfsConfigTests
{
    private const string File = "/cfg/repos.yaml";

    [Fact]
    public void Lfs_is_on_by_default_and_can_be_turned_off_at_the_top_or_per_pair()
    {
        var config = ConfigLoader.Parse("""
            lfs: false
            repos:
              - github: o/a
                gitlab: g/a
              - github: o/b
                gitlab: g/b
                lfs: true
            """, File);
        Assert.False(config.Pairs[0].Lfs);
        Assert.True(config.Pairs[1].Lfs);
        Assert.True(ConfigLoader.Parse("repos:\n  - github: o/a\n    gitlab: g/a\n", File).Pairs[0].Lfs);
    }

    [Fact]
    public void A_value_that_is_not_a_boolean_names_the_line_and_key()
    {
        var e = Assert.Throws<MirrorConfigException>(() => ConfigLoader.Parse("""
            repos:
              - github: o/a
                gitlab: g/a
                lfs: sometimes
            """, File));
        Assert.Equal(4, e.Line);
        Assert.Equal("repos[0].lfs", e.Key);
        Assert.Contains("'sometimes' is not a boolean", e.Message);
    }
}

public class LfsPointerScannerTests
{
    [Fact]
    public async Task Any_object_of_the_repository_counts_packed_loose_or_unreachable()
    {
        using var dir = new TempDir("gitmirror-scan");
        var bare = new RepoBuilder(dir.Combine("repo.git"));
        bare.Commits(3);
        Git.Run(bare.BarePath, "repack", "-a", "-d", "-q");
        Assert.False(await LfsPointerScanner.AnyInRepositoryAsync(bare.BarePath, CancellationToken.None));

        // A small blob that only looks like one is not a pointer.
        var file = dir.Combine("almost");
        File.WriteAllText(file, "version https://git-lfs.github.com/spec/v1\noid sha256:nothex\n");
        Git.Run(bare.BarePath, "hash-object", "-w", file);
        Assert.False(await LfsPointerScanner.AnyInRepositoryAsync(bare.BarePath, CancellationToken.None));

        // A pointer in no commit at all (a loose object) is still found: the check is a superset of any walk.
        File.WriteAllText(file, LfsFiles.Pointer(LfsFiles.NewObject(10).Oid, 10));
        Git.Run(bare.BarePath, "hash-object", "-w", file);
        Assert.True(await LfsPointerScanner.AnyInRepositoryAsync(bare.BarePath, CancellationToken.None));

        Git.Run(bare.BarePath, "repack", "-a", "-q");
        Assert.True(await LfsPointerScanner.AnyInRepositoryAsync(bare.BarePath, CancellationToken.None));
    }
}
