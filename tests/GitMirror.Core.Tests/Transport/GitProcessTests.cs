using GitMirror.Core.Transport;
using Xunit;

namespace GitMirror.Core.Tests.Transport;

public sealed class GitProcessTests
{
    [Fact]
    public async Task A_command_line_too_long_for_the_system_is_reported_as_such_not_as_a_missing_git()
    {
        // Linux refuses any single argument over 128 KiB (E2BIG), Windows a command line over 32,767 characters.
        var tooLong = new string('a', 300 * 1024);

        var failure = await Assert.ThrowsAsync<GitTransportException>(() => GitProcess.RunAsync(null, ["rev-parse", tooLong], [], null, CancellationToken.None));

        Assert.Contains("cannot run git rev-parse: its command line is too long for this system", failure.Message);
        Assert.DoesNotContain("needs the git CLI", failure.Message);
        Assert.DoesNotContain(tooLong, failure.Message);
    }
}
