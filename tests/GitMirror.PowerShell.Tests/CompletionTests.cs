using Xunit;

namespace GitMirror.PowerShell.Tests;

/// <summary>Tests that set process-wide environment variables run alone.</summary>
[CollectionDefinition("Process environment", DisableParallelization = true)]
public sealed class ProcessEnvironmentCollection;

[Collection("Process environment")]
public class CompletionTests
{
    private static string[] Complete(PowerShellSession ps, string line)
    {
        var result = ps.Run("(TabExpansion2 -inputScript $args[0] -cursorColumn $args[0].Length).CompletionMatches | ForEach-Object CompletionText", line);
        Assert.Empty(result.AllErrors);
        return result.Output.Select(o => (string)o.BaseObject).ToArray();
    }

    [Fact]
    public void Name_completes_the_pair_names_of_the_file_given_with_Path()
    {
        using var config = new SampleConfig();
        using var ps = new PowerShellSession(workingDirectory: config.Folder);

        Assert.Equal(["myorg/repo1", "'my repo2'"], Complete(ps, "Get-MirrorPair -Path repos.yaml -Name "));
        Assert.Equal(["'my repo2'"], Complete(ps, "Get-MirrorPair -Path repos.yaml -Name my*2"));
    }

    [Fact]
    public void Name_completes_from_GITMIRROR_CONFIG_without_Path()
    {
        using var config = new SampleConfig();
        using var ps = new PowerShellSession(environment: new Dictionary<string, string> { ["GITMIRROR_CONFIG"] = config.Path });
        try
        {
            Assert.Equal(["myorg/repo1"], Complete(ps, "Get-MirrorPair -Name myorg"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("GITMIRROR_CONFIG", null); // the runspace shares the process environment
        }
    }

    [Fact]
    public void A_bad_or_missing_file_completes_no_pair_and_writes_no_error()
    {
        using var config = new SampleConfig();
        // A pair PowerShell could offer, in a file that is invalid (an unknown key).
        File.WriteAllText(Path.Combine(config.Folder, "bad.yaml"), "repos:\n  - github: myorg/repo1\n    gitlab: myorg/repo1\n    colour: red\n");
        using var ps = new PowerShellSession(workingDirectory: config.Folder);

        // PowerShell itself falls back to file names when a completer offers nothing.
        Assert.DoesNotContain("myorg/repo1", Complete(ps, "Get-MirrorPair -Path bad.yaml -Name "));
        Assert.DoesNotContain("myorg/repo1", Complete(ps, "Get-MirrorPair -Path missing.yaml -Name my"));
    }
}
