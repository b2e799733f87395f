using GitMirror.Core.Apply;
using GitMirror.Core.Plan;
using Xunit;

namespace GitMirror.Core.Tests.Apply;

/// <summary>How a side's updates are cut into git pushes: as few as the command line allows, in order.</summary>
public sealed class RefPusherBatchTests
{
    private static PlannedPush Push(int i, int nameLength = 12) =>
        new("refs/tags/" + i.ToString("D8").PadRight(nameLength, 'x'), MirrorSide.GitLab, null, new string('a', 40));

    [Theory]
    [InlineData(1, new[] { 1 })]
    [InlineData(1020, new[] { 1020 })]             // a first sync of 20 branches and 1,000 tags: one push
    [InlineData(2000, new[] { 2000 })]
    [InlineData(4500, new[] { 2000, 2000, 500 })]
    public void Short_refs_go_in_batches_of_at_most_the_ref_limit(int refs, int[] expected)
    {
        var pushes = Enumerable.Range(0, refs).Select(i => Push(i)).ToList();

        var batches = RefPusher.Batches(pushes).ToList();

        Assert.Equal(expected, batches.Select(b => b.Count));
        Assert.Equal(pushes, batches.SelectMany(b => b));
    }

    [Fact]
    public void Long_ref_names_cut_batches_by_the_bytes_of_the_command_line()
    {
        var pushes = Enumerable.Range(0, 2000).Select(i => Push(i, nameLength: 400)).ToList();

        var batches = RefPusher.Batches(pushes).ToList();

        Assert.True(batches.Count > 1);
        Assert.All(batches, b => Assert.InRange(b.Sum(p => $"--force-with-lease={p.Ref}:".Length + $"{p.NewSha}:{p.Ref}".Length), 1, RefPusher.MaxArgumentBytesPerPush));
        Assert.Equal(pushes, batches.SelectMany(b => b));
    }

    [Fact]
    public void A_ref_longer_than_the_budget_still_goes_alone()
    {
        var huge = Push(1, nameLength: RefPusher.MaxArgumentBytesPerPush);

        var batches = RefPusher.Batches([Push(0), huge, Push(2)]).ToList();

        Assert.Equal([1, 1, 1], batches.Select(b => b.Count));
    }
}
