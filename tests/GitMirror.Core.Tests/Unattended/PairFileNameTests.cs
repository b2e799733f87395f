using GitMirror.Core.Unattended;
using Xunit;

namespace GitMirror.Core.Tests.Unattended;

public class PairFileNameTests
{
    [Fact]
    public void Is_readable_and_pinned_to_the_sha256_of_the_name()
    {
        // printf 'myorg/repo1' | sha256sum → 9669db9c5bc6…
        Assert.Equal("myorg-repo1-9669db9c5bc6", PairFileName.For("myorg/repo1"));
        Assert.Equal("team-sub-repo2-75cbba6fd759", PairFileName.For("team/sub/repo2"));
    }

    [Theory]
    [InlineData("MyOrg/Repo", "myorg/repo")]
    [InlineData("a/b", "a-b")]
    [InlineData("a//b", "a/b")]
    [InlineData("x", "X")]
    public void Names_that_look_alike_get_different_files_even_ignoring_case(string one, string other) =>
        Assert.NotEqual(PairFileName.For(one).ToLowerInvariant(), PairFileName.For(other).ToLowerInvariant());

    [Theory]
    [InlineData("..")]
    [InlineData("../../etc/passwd")]
    [InlineData(".hidden")]
    [InlineData("con")]
    [InlineData("ümlaut/ü")]
    [InlineData("very/long/group/with/many/subgroups/and/a/repository-name-that-goes-on-and-on")]
    public void Is_a_single_safe_file_name(string pairName)
    {
        var name = PairFileName.For(pairName);
        Assert.Matches("^[a-z0-9_][a-z0-9._-]*$", name);
        Assert.DoesNotContain("..", name);
        Assert.InRange(name.Length, 12, 61);
    }
}
