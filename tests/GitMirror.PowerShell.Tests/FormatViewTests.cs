using GitMirror.Testing;
using Xunit;

namespace GitMirror.PowerShell.Tests;

/// <summary>
/// The default views render through the real formatter, as the gitmirror host shows them (120
/// columns when not a terminal), and every one fits an 80-column terminal with its key columns
/// (the details are in Format-List).
/// </summary>
public class FormatViewTests
{
    private static string Render(string script, params object?[] args)
    {
        var host = new TextHost();
        using var ps = new PowerShellSession(host: host);
        // As the gitmirror host does when its output is not a terminal.
        ps.Run("$PSStyle.OutputRendering = 'PlainText'");
        var result = ps.Run(script + " | Out-Default", args);
        Assert.Empty(result.AllErrors);
        var at80 = ps.Run("$PSStyle.OutputRendering = 'PlainText'; " + script + " | Out-String -Width 80", args);
        Assert.Empty(at80.AllErrors);
        AssertFitsWidth(string.Concat(at80.Output.Select(o => o.ToString())), 80);
        return host.Text;
    }

    /// <summary>Rendered at 80 columns: every line fits, and nothing a view shows at 120 is cut.</summary>
    private static string Render80(string script, params object?[] args)
    {
        using var ps = new PowerShellSession();
        var result = ps.Run("$PSStyle.OutputRendering = 'PlainText'; " + script + " | Out-String -Width 80", args);
        Assert.Empty(result.AllErrors);
        return string.Concat(result.Output.Select(o => o.ToString()));
    }

    private static void AssertShows(string pattern, string text) =>
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(text, pattern), $"'{pattern}' not in:\n{text}");

    private static void AssertFitsWidth(string text, int width = 120) =>
        Assert.All(text.Split('\n'), line => Assert.True(line.TrimEnd('\r').Length <= width, $"wider than {width}: '{line}'"));

    [Fact]
    public void MirrorPair_renders_as_its_table_view()
    {
        using var config = new SampleConfig();
        var text = Render("Get-MirrorPair -Path $args[0]", config.Path);

        AssertShows(@"Name\s+GitHub\s+GitLab\s+OnDivergence", text);
        AssertShows(@"my repo2\s+myorg/repo2\s+team/sub/repo2\s+SkipRef", text);
        Assert.DoesNotContain("GitHubUrl", text);
        AssertFitsWidth(text);
    }

    [Fact]
    public void MirrorPairStatus_shows_times_in_UTC_and_the_problem()
    {
        var text = Render("""
            [GitMirror.MirrorPairStatus]@{
                PairName = 'repo2'; Status = 'Halted'; Healthy = $false; ConsecutiveFailures = 0
                LastRun = [DateTimeOffset]::new(2025, 5, 2, 12, 5, 12, [TimeSpan]::FromHours(2))
                DivergedRefs = @('refs/heads/a', 'refs/tags/b') }
            """);

        AssertShows(@"PairName\s+Status\s+Healthy\s+LastRun \(UTC\)\s+Failures\s+Problem", text);
        AssertShows(@"repo2\s+Halted\s+False\s+2025-05-02 10:05\s+0 refs/heads/a, refs/tags/b\n", text);
        AssertFitsWidth(text);
        // At 80 columns the Problem column (what an admin looks for) is still there.
        AssertShows(@"Failures Problem\s*\n", Render80("[GitMirror.MirrorPairStatus]@{ PairName = 'repo2'; Status = 'Halted'; DivergedRefs = @('refs/heads/a') }"));
        AssertShows(@"repo2\s+Halted\s+False\s+0 refs/heads/a", Render80("[GitMirror.MirrorPairStatus]@{ PairName = 'repo2'; Status = 'Halted'; DivergedRefs = @('refs/heads/a') }"));
    }

    [Fact]
    public void MirrorSyncResult_counts_pushes_and_shows_seconds()
    {
        using var config = new SampleConfig();
        var text = Render("""
            $pair = Get-MirrorPair -Path $args[0] -Name 'myorg/repo1'
            $ok = [GitMirror.MirrorRefUpdate]@{ Ref = 'refs/heads/main'; Target = 'GitLab'; NewSha = 'a' * 40; Succeeded = $true }
            $refused = [GitMirror.MirrorRefUpdate]@{ Ref = 'refs/heads/prot'; Target = 'GitHub'; NewSha = 'b' * 40; Message = 'protected' }
            [GitMirror.MirrorSyncResult]@{ Pair = $pair; Status = 'Failed'; Updates = @($ok, $refused)
                Duration = [TimeSpan]::FromMilliseconds(1875); Error = 'push refused' }
            """, config.Path);

        AssertShows(@"PairName\s+Status\s+Pushed\s+Failed\s+Diverged\s+Seconds\s+Error", text);
        AssertShows(@"myorg/repo1\s+Failed\s+1\s+1\s+0\s+1\.88 push refused", text);
        AssertFitsWidth(text);
    }

    [Fact]
    public void MirrorRefComparison_cuts_object_ids_to_nine_characters_and_fits_80_columns()
    {
        using var config = new SampleConfig();
        const string Script = """
            $pair = Get-MirrorPair -Path $args[0] -Name 'myorg/repo1'
            [GitMirror.MirrorRefComparison]@{ Pair = $pair; Ref = 'refs/heads/main'; Status = 'Diverged'
                GitHubSha = '0123456789abcdef0123456789abcdef01234567'; GitLabSha = 'fedcba9876543210fedcba9876543210fedcba98'
                GitHubAheadBy = 2; GitLabAheadBy = 1 }
            """;
        var text = Render(Script, config.Path);

        AssertShows(@"Pair: myorg/repo1\s+Name\s+Kind", text);
        AssertShows(@"\nmain\s+Branch\s+Diverged\s+012345678 fedcba987\s+2/1", text);
        Assert.DoesNotContain("0123456789", text);
        AssertFitsWidth(text);
        // The columns an 80-column terminal used to lose: GitLabSha and Ahead.
        AssertShows(@"GitHubSha GitLabSha\s+Ahead", Render80(Script, config.Path));
        AssertShows(@"012345678 fedcba987\s+2/1", Render80(Script, config.Path));
        // The details are in Format-List.
        var list = Render80(Script + " | Format-List", config.Path);
        AssertShows(@"GitHubSha\s+: 0123456789abcdef0123456789abcdef01234567", list);
        AssertShows(@"GitLabAheadBy\s+: 1", list);
    }

    [Fact]
    public void MirrorRefComparison_names_the_side_that_lacks_LFS_objects()
    {
        using var config = new SampleConfig();
        var text = Render("""
            $pair = Get-MirrorPair -Path $args[0] -Name 'myorg/repo1'
            $lost = [GitMirror.MirrorLfsObject]@{ Oid = 'a' * 64; Size = 5; Path = 'x.bin'; MissingOn = 'GitLab' }
            $main = [GitMirror.MirrorRefComparison]@{ Pair = $pair; Ref = 'refs/heads/main'; Status = 'InSync'
                GitHubSha = '0123456789abcdef0123456789abcdef01234567'; GitLabSha = '0123456789abcdef0123456789abcdef01234567'
                LfsMissing = @($lost) }
            $v1 = [GitMirror.MirrorRefComparison]@{ Pair = $pair; Ref = 'refs/tags/v1'; Status = 'InSync'
                GitHubSha = '0123456789abcdef0123456789abcdef01234567'; GitLabSha = '0123456789abcdef0123456789abcdef01234567' }
            $main, $v1
            """, config.Path);

        AssertShows(@"GitLabSha\s+Ahead\s+Lfs", text);
        AssertShows(@"main\s+Branch\s+InSync\s+012345678 012345678\s+GitLab\n", text);
        AssertShows(@"v1\s+Tag\s+InSync\s+012345678 012345678 *\n", text);
        AssertFitsWidth(text);
    }

    [Theory]
    [InlineData("[GitMirror.MirrorRefUpdate]@{ Ref = 'refs/tags/v1'; Target = 'GitHub'; NewSha = '1' * 40; Succeeded = $true }",
        @"Ref\s+Target\s+OldSha\s+NewSha\s+Succeeded\s+Message", @"refs/tags/v1\s+GitHub\s+111111111\s+True")]
    [InlineData("[GitMirror.MirrorRepairResult]@{ PairName = 'repo2'; Ref = 'refs/heads/main'; Winner = 'GitLab'; Succeeded = $true; OldSha = '2' * 40; BackupRef = 'refs/heads/gitmirror/backup/20250502T101500Z/main' }",
        @"Pair: repo2\s+Ref\s+Winner\s+Succeeded\s+BackupRef", @"refs/heads/main\s+GitLab\s+True\s+gitmirror/backup/20250502T101500Z/main\n")]
    [InlineData("[GitMirror.MirrorBootstrapStep]@{ Step = 'CiFiles'; Side = 'GitLab'; Action = 'Failed'; Detail = 'HTTP 403' }",
        @"Step\s+Side\s+Action\s+Detail", @"CiFiles\s+GitLab\s+Failed\s+HTTP 403")]
    [InlineData("""
        [GitMirror.MirrorBootstrapResult]@{ Pair = (Get-MirrorPair -Path $args[0] -Name 'myorg/repo1'); Steps = @(
            [GitMirror.MirrorBootstrapStep]@{ Step = 'Repository'; Side = 'GitHub'; Action = 'Created' }
            [GitMirror.MirrorBootstrapStep]@{ Step = 'Secret'; Side = 'GitLab'; Action = 'Failed' }) }
        """,
        @"PairName\s+Succeeded\s+Created\s+Updated\s+Unchanged\s+Skipped\s+Failed\s+Failed steps", @"myorg/repo1\s+False\s+1\s+0\s+0\s+0\s+1 Secret/GitLab")]
    public void Other_output_types_render_as_their_table_view(string createObject, string headerPattern, string rowPattern)
    {
        using var config = new SampleConfig();
        var text = Render(createObject, config.Path);

        AssertShows(headerPattern, text);
        AssertShows(rowPattern, text);
        AssertFitsWidth(text);
    }

    private const string LongNames = """
        version: 1
        repos:
          - github: platform-team/payments-service-backend
            gitlab: platform-team/payments-service-backend
          - github: platform-team/payments-service-frontend
            gitlab: platform-team/payments-service-frontend
        """;

    /// <summary>Both pairs' distinguishing ends are in the rendered table.</summary>
    private static void AssertTellsApart(string text, string backend, string frontend)
    {
        Assert.True(text.Contains(backend, StringComparison.Ordinal) && text.Contains(frontend, StringComparison.Ordinal),
            $"'{backend}' or '{frontend}' not shown in:\n{text}");
    }

    [Theory]
    [InlineData(80)]
    [InlineData(120)]
    public void Long_pair_names_that_share_a_prefix_stay_apart_in_every_pair_table(int width)
    {
        using var dir = new TempDir("gitmirror-format");
        var configPath = dir.Combine("repos.yaml");
        File.WriteAllText(configPath, LongNames);
        using var ps = new PowerShellSession();
        string At(string script)
        {
            var result = ps.Run($"$PSStyle.OutputRendering = 'PlainText'; {script} | Out-String -Width {width}", configPath);
            Assert.Empty(result.AllErrors);
            var text = string.Concat(result.Output.Select(o => o.ToString()));
            AssertFitsWidth(text, width);
            return text;
        }

        // Each view keeps the end of the name, where these two differ.
        AssertTellsApart(At("Get-MirrorPair -Path $args[0]"), "ice-backend", "ice-frontend");
        AssertTellsApart(At("Get-MirrorPair -Path $args[0] | ForEach-Object { [GitMirror.MirrorSyncResult]@{ Pair = $_; Status = 'Synced' } }"), "ice-backend", "ice-frontend");
        AssertTellsApart(At("Get-MirrorPair -Path $args[0] | ForEach-Object { [GitMirror.MirrorPairStatus]@{ PairName = $_.Name; Status = 'Synced' } }"), "ice-backend", "ice-frontend");
        AssertTellsApart(At("Get-MirrorPair -Path $args[0] | ForEach-Object { [GitMirror.MirrorBootstrapResult]@{ Pair = $_ } }"), "ice-backend", "ice-frontend");
        // Comparisons and repairs name their pair in full above its rows.
        var compared = At("Get-MirrorPair -Path $args[0] | ForEach-Object { [GitMirror.MirrorRefComparison]@{ Pair = $_; Ref = 'refs/heads/release/2026.12-payments-hotfix'; Status = 'InSync' } }");
        Assert.Contains("Pair: platform-team/payments-service-backend", compared);
        Assert.Contains("Pair: platform-team/payments-service-frontend", compared);
        Assert.Contains("payments-hotfix", compared);
        // The backup ref, the one thing needed after a repair, is shown whole (wrapped at 80).
        var repaired = At("[GitMirror.MirrorRepairResult]@{ PairName = 'platform-team/payments-service-backend'; Ref = 'refs/heads/release/2026.12-payments-hotfix'; Winner = 'GitHub'; Succeeded = $true; BackupRef = 'refs/heads/gitmirror/backup/20261207T101500Z/release/2026.12-payments-hotfix' }");
        Assert.Contains("Pair: platform-team/payments-service-backend", repaired);
        var lines = repaired.Split('\n').Select(l => l.TrimEnd('\r', ' ')).ToList();
        var header = lines.FindIndex(l => l.EndsWith("BackupRef", StringComparison.Ordinal));
        var column = lines[header].IndexOf("BackupRef", StringComparison.Ordinal);
        var backup = string.Concat(lines.Skip(header + 2).TakeWhile(l => l.Length > 0).Select(l => l.Length > column ? l[column..] : ""));
        Assert.Equal("gitmirror/backup/20261207T101500Z/release/2026.12-payments-hotfix", backup);
    }
}
