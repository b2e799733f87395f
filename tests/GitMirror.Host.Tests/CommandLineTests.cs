using GitMirror.Testing;
using Xunit;

namespace GitMirror.Host.Tests;

/// <summary>`gitmirror &lt;words…&gt;`: one PowerShell command line, rendered and turned into an exit code.</summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly MirrorWorld _world = new();

    public void Dispose() => _world.Dispose();

    private HostResult SyncAll() =>
        GitMirrorHost.Run(_world.Root, "Sync-MirrorPair", "-All", "-Path", GitMirrorHost.Quote(_world.ConfigPath));

    [Fact]
    public void A_synced_pair_is_one_plain_text_table_row_within_120_columns()
    {
        var (github, gitlab) = WorldStates.Arrange(_world, WorldState.Syncable);

        var result = SyncAll();

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.Stderr);
        Assert.DoesNotContain('\u001b', result.Stdout);
        Assert.All(result.StdoutLines, line => Assert.True(line.Length <= 120, $"{line.Length} columns: {line}"));
        var header = Assert.Single(result.StdoutLines, l => l.StartsWith("PairName", StringComparison.Ordinal));
        Assert.Contains("Status", header);
        var row = Assert.Single(result.StdoutLines, l => l.StartsWith("app ", StringComparison.Ordinal));
        Assert.Contains(" Synced ", row);
        Assert.Equal(RepoBuilder.Refs(github), RepoBuilder.Refs(gitlab));
    }

    [Theory]
    [InlineData(WorldState.Syncable)]
    [InlineData(WorldState.Diverged)]
    [InlineData(WorldState.PairFails)]
    [InlineData(WorldState.BadConfig)]
    public void The_exit_code_is_the_sync_runs_and_errors_go_to_stderr_only(WorldState state)
    {
        WorldStates.Arrange(_world, state);

        var result = SyncAll();

        Assert.True(result.ExitCode == WorldStates.ExpectedExitCode(state), result.ToString());
        Assert.Equal(state != WorldState.Syncable, result.Stderr.StartsWith("Sync-MirrorPair: ", StringComparison.Ordinal));
        Assert.DoesNotContain("Sync-MirrorPair: ", result.Stdout);
    }

    [Fact]
    public void A_diverged_pair_is_reported_on_stderr_with_the_ref()
    {
        WorldStates.Arrange(_world, WorldState.Diverged);

        var result = SyncAll();

        Assert.Contains("Sync-MirrorPair: Pair 'app': refs/heads/main diverged", result.Stderr);
        Assert.Contains(" Halted ", Assert.Single(result.StdoutLines, l => l.StartsWith("app ", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_bad_config_changes_nothing_and_names_the_line()
    {
        var (github, gitlab) = WorldStates.Arrange(_world, WorldState.BadConfig);
        var githubBefore = RepoBuilder.Refs(github);

        var result = SyncAll();

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("colour: unknown key", result.Stderr);
        Assert.Equal(githubBefore, RepoBuilder.Refs(github));
        Assert.Empty(RepoBuilder.Refs(gitlab));
    }

    [Theory]
    [InlineData("Sync-MirrorPair -All -Path (", "ParserError: ")]
    [InlineData("Sync-MirrorPair -All -Bogus", "Sync-MirrorPair: A parameter cannot be found that matches parameter name 'Bogus'.")]
    [InlineData("Sync-MirrorPiar -All", "Sync-MirrorPiar: The term 'Sync-MirrorPiar' is not recognized")]
    public void A_command_line_that_cannot_run_exits_3(string commandLine, string error)
    {
        var result = GitMirrorHost.Run(_world.Root, commandLine);

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.StartsWith(error, result.Stderr);
        Assert.Equal("", result.Stdout);
    }

    /// <summary>
    /// A Sync-MirrorPair that got no pair (the stage before it failed, or it was fed objects it cannot
    /// bind) finishes "clean" with nothing synced; its 0 must not hide those errors from cron.
    /// </summary>
    [Theory]
    [InlineData("Get-MirrorPair nosuch -Path {0} | Sync-MirrorPair", 2, "Get-MirrorPair: No pair named 'nosuch'")]
    [InlineData("Compare-MirrorRef -Path {0} | Sync-MirrorPair -Path {0}", 3, "Sync-MirrorPair: The input object cannot be bound")]
    public void A_sync_that_received_no_pair_does_not_hide_the_errors_before_it(string commandLine, int exitCode, string error)
    {
        WorldStates.Arrange(_world, WorldState.Syncable);

        var result = GitMirrorHost.Run(_world.Root, string.Format(System.Globalization.CultureInfo.InvariantCulture, commandLine, GitMirrorHost.Quote(_world.ConfigPath)));

        Assert.True(result.ExitCode == exitCode, result.ToString());
        Assert.StartsWith(error, result.Stderr);
    }

    [Fact]
    public void An_error_record_alone_exits_2()
    {
        var result = GitMirrorHost.Run(_world.Root, "Write-Error -Message boom -ErrorId Boom");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("boom", result.Stderr);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public void Output_without_errors_exits_0_and_words_are_joined_into_one_line()
    {
        var result = GitMirrorHost.Run(_world.Root, "'a'", "+", "'b'");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("ab", result.Stdout.Trim());
    }

    [Theory]
    [InlineData("A", true)]
    [InlineData("L", false)]
    public void Confirm_reads_the_answer_from_stdin(string answer, bool pushed)
    {
        var (github, gitlab) = WorldStates.Arrange(_world, WorldState.Syncable);

        var result = GitMirrorHost.RunWithInput(_world.Root, answer + "\n",
            "Sync-MirrorPair", "-All", "-Confirm", "-Path", GitMirrorHost.Quote(_world.ConfigPath));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("[A] Yes to All", result.Stdout);
        Assert.Equal(pushed, RepoBuilder.Refs(github).SequenceEqual(RepoBuilder.Refs(gitlab)));
    }

    [Fact]
    public void No_arguments_print_the_usage_on_stderr_and_exit_3()
    {
        var result = GitMirrorHost.Run(_world.Root);

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("gitmirror -File <script.ps1>", result.Stderr);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public void Help_prints_the_usage_on_stdout()
    {
        var result = GitMirrorHost.Run(_world.Root, "--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("gitmirror -File <script.ps1>", result.Stdout);
    }

    [Theory]
    [InlineData("--version")]
    [InlineData("-Version")]
    public void Version_prints_the_version_on_stdout(string argument)
    {
        var result = GitMirrorHost.Run(_world.Root, argument);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"^gitmirror \d+\.\d+\.\d+\S*\s*$", result.Stdout);
    }

    /// <summary>A typo in a cron line must not sync nothing and report success.</summary>
    [Theory]
    [InlineData("Sync-MirrorPair -Name 'nosuch*' -Path {0}", "Sync-MirrorPair: No pair of ")]
    [InlineData("Sync-MirrorPair -Name nosuch -Path {0}", "Sync-MirrorPair: No pair named 'nosuch'")]
    public void A_pair_name_or_pattern_that_matches_nothing_exits_3(string commandLine, string error)
    {
        var (github, gitlab) = WorldStates.Arrange(_world, WorldState.Syncable);
        var gitlabBefore = RepoBuilder.Refs(gitlab);

        var result = GitMirrorHost.Run(_world.Root, string.Format(System.Globalization.CultureInfo.InvariantCulture, commandLine, GitMirrorHost.Quote(_world.ConfigPath)));

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.StartsWith(error, result.Stderr);
        Assert.Equal(gitlabBefore, RepoBuilder.Refs(gitlab));
        Assert.NotEqual(RepoBuilder.Refs(github), RepoBuilder.Refs(gitlab));
    }

    [Fact]
    public void Sync_without_All_or_Name_says_what_to_give_instead_of_prompting()
    {
        var (github, gitlab) = WorldStates.Arrange(_world, WorldState.Syncable);

        var result = GitMirrorHost.Run(_world.Root, "Sync-MirrorPair", "-Path", GitMirrorHost.Quote(_world.ConfigPath));

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.DoesNotContain("Name[0]", result.Stdout + result.Stderr);
        Assert.Contains("-All for every pair", result.Stderr);
        Assert.Equal("", result.Stdout);
        Assert.NotEqual(RepoBuilder.Refs(github), RepoBuilder.Refs(gitlab));
    }

    [Fact]
    public void Compare_with_a_ref_that_matches_nothing_is_an_error()
    {
        WorldStates.Arrange(_world, WorldState.Syncable);

        var result = GitMirrorHost.Run(_world.Root, "Compare-MirrorRef", "-Ref", "nosuchref", "-Path", GitMirrorHost.Quote(_world.ConfigPath));

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("matches -Ref 'nosuchref'", result.Stderr);
    }

    /// <summary>Nothing listens at the configured address: failed at once, naming the setting, no retries.</summary>
    [Fact]
    public void A_url_nothing_answers_fails_at_once_and_names_the_setting()
    {
        WorldStates.Arrange(_world, WorldState.Syncable);
        var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var port = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        _world.GitHubUrl = $"http://127.0.0.1:{port}/forge";
        // A variable of this test's own, inherited by the host: a token is needed before any request.
        _world.GitHubTokenEnv = "GITMIRROR_TEST_TOKEN_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(_world.GitHubTokenEnv, "test-token");
        _world.WriteConfig();

        var result = GitMirrorHost.Run(_world.Root, "Sync-MirrorPair", "-All", "-Path", GitMirrorHost.Quote(_world.ConfigPath));

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.True(result.Stderr.Contains("nothing accepts connections there", StringComparison.Ordinal), result.ToString());
        Assert.Contains("check 'github.url'", result.Stderr);
        Assert.DoesNotContain("Retrying", result.Stderr + result.Stdout);
    }
}
