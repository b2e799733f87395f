using System.Security.Cryptography;
using System.Text;
using GitMirror.Core.Unattended;
using Xunit;

namespace GitMirror.Core.Tests.Unattended;

public class ShardSelectorTests
{
    [Fact]
    public void Shards_over_a_thousand_names_are_disjoint_and_cover_everything()
    {
        var names = Enumerable.Range(0, 1000).Select(i => $"org{i % 13}/repo-{i}").ToList();
        for (var n = 1; n <= 7; n++)
        {
            var shards = Enumerable.Range(1, n).Select(i => ShardSelector.Parse($"{i}/{n}")).ToList();
            foreach (var name in names)
            {
                Assert.Equal(1, shards.Count(s => s.Contains(name)));
            }
            // Not all in one shard: the hash spreads them.
            Assert.All(shards, s => Assert.InRange(names.Count(s.Contains), 1000 / n / 2, 1000));
        }
    }

    [Theory]
    // printf 'myorg/repo1' | sha256sum → 9669db9c5bc67219…; 0x9669db9c5bc67219 mod 4 = 1 → shard 2/4.
    [InlineData("myorg/repo1", 0x9669db9c5bc67219UL, "2/4", "3/3", "6/7")]
    // printf 'team/sub/repo2' | sha256sum → 75cbba6fd7591422…
    [InlineData("team/sub/repo2", 0x75cbba6fd7591422UL, "3/4", "1/3", "7/7")]
    public void Keys_and_shards_are_pinned_to_the_documented_definition(string name, ulong key, params string[] shards)
    {
        Assert.Equal(key, ShardSelector.KeyOf(name));

        // The definition spelled out: the first 8 bytes of SHA-256(UTF-8), most significant first.
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(name));
        var byHand = 0UL;
        for (var i = 0; i < 8; i++) byHand = (byHand << 8) | hash[i];
        Assert.Equal(key, byHand);

        foreach (var shard in shards)
        {
            Assert.True(ShardSelector.Parse(shard).Contains(name), $"{name} should be in {shard}");
        }
    }

    [Fact]
    public void Non_ascii_names_hash_their_utf8_bytes()
    {
        var hash = SHA256.HashData("gruppe/ümlaut"u8);
        var key = 0UL;
        for (var i = 0; i < 8; i++) key = (key << 8) | hash[i];
        Assert.Equal(key, ShardSelector.KeyOf("gruppe/ümlaut"));
    }

    [Theory]
    [InlineData("1/1", 1, 1)]
    [InlineData("3/7", 3, 7)]
    [InlineData(" 2/2 ", 2, 2)]
    public void Parses_valid_specs(string spec, int index, int count)
    {
        var shard = ShardSelector.Parse(spec);
        Assert.Equal((index, count), (shard.Index, shard.Count));
        Assert.Equal($"{index}/{count}", shard.ToString());
    }

    [Theory]
    [InlineData("", "not of the form i/n")]
    [InlineData("3", "not of the form i/n")]
    [InlineData("1/2/3", "not of the form i/n")]
    [InlineData("a/b", "not of the form i/n")]
    [InlineData("-1/2", "not of the form i/n")]
    [InlineData("+1/2", "not of the form i/n")]
    [InlineData("1 / 2", "not of the form i/n")]
    [InlineData("99999999999/2", "not of the form i/n")]
    [InlineData("0/3", "between 1 and 3")]
    [InlineData("4/3", "between 1 and 3")]
    [InlineData("1/0", "at least 1")]
    public void Rejects_bad_specs_saying_why(string spec, string reason)
    {
        var error = Assert.Throws<FormatException>(() => ShardSelector.Parse(spec));
        Assert.Contains(reason, error.Message);
        Assert.Contains($"'{spec}'", error.Message);
    }

    [Fact]
    public void The_zero_based_kubernetes_index_is_explained()
    {
        Assert.Contains("add 1", Assert.Throws<FormatException>(() => ShardSelector.Parse("0/4")).Message);
    }
}
