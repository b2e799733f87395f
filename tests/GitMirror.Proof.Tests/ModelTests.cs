using Xunit;
using Xunit.Abstractions;

namespace GitMirror.Proof.Tests;

/// <summary>
/// The model test of issue 10 in every `dotnet test`: a fixed set of seeds. GITMIRROR_MODEL_SEED
/// (one seed, or "first-last") and GITMIRROR_MODEL_ROUNDS run others and longer; a failure prints the
/// command that replays it.
/// </summary>
public sealed class ModelTests(ITestOutputHelper output)
{
    private const int CiRounds = 8;

    public static TheoryData<int> Seeds()
    {
        var data = new TheoryData<int>();
        var given = Environment.GetEnvironmentVariable("GITMIRROR_MODEL_SEED");
        if (string.IsNullOrWhiteSpace(given))
        {
            foreach (var seed in new[] { 1, 2, 3 }) data.Add(seed);
            return data;
        }
        var range = given.Split('-', 2);
        var first = int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        var last = range.Length == 2 ? int.Parse(range[1], System.Globalization.CultureInfo.InvariantCulture) : first;
        for (var seed = first; seed <= last; seed++) data.Add(seed);
        return data;
    }

    private static int Rounds =>
        int.TryParse(Environment.GetEnvironmentVariable("GITMIRROR_MODEL_ROUNDS"), out var rounds) && rounds > 0 ? rounds : CiRounds;

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Random_users_syncs_kills_and_repairs_never_lose_anything_and_converge(int seed)
    {
        using var run = new ModelRun(seed, Rounds, output.WriteLine);
        try
        {
            run.Run();
        }
        finally
        {
            output.WriteLine($"seed {seed}: {run.Counters}");
            Console.WriteLine($"[model] seed {seed}: {run.Counters}");
        }
    }
}
