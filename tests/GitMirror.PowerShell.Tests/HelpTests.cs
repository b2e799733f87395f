using System.Management.Automation;
using Xunit;

namespace GitMirror.PowerShell.Tests;

/// <summary>
/// Get-Help finds the MAML and about topic the build generates from docs/. Iterates the exported
/// cmdlets, so the checks grow as cmdlets land.
/// </summary>
public class HelpTests
{
    /// <summary>Get-Help -Online opens the cmdlet's page of docs/, which the repository holds.</summary>
    [Fact]
    public void Every_exported_cmdlet_has_an_online_help_page_in_docs()
    {
        using var ps = new PowerShellSession();
        var result = ps.Run("Get-Command -Module GitMirror -CommandType Cmdlet | ForEach-Object { [pscustomobject]@{ Name = $_.Name; Uri = $_.HelpUri } }");

        Assert.Empty(result.AllErrors);
        Assert.NotEmpty(result.Output);
        var repoRoot = PowerShellSession.RepoRoot;
        Assert.All(result.Output, command =>
        {
            var name = command.Properties["Name"].Value.ToString()!;
            var uri = command.Properties["Uri"].Value?.ToString() ?? "";
            Assert.True(Uri.TryCreate(uri, UriKind.Absolute, out var parsed) && parsed.Scheme == "https", $"{name}: HelpUri '{uri}'");
            Assert.EndsWith($"/docs/{name}.md", uri);
            Assert.True(File.Exists(Path.Combine(repoRoot, "docs", name + ".md")), $"docs/{name}.md is missing");
        });
    }

    [Fact]
    public void Every_exported_cmdlet_has_a_synopsis_a_description_and_at_least_two_examples()
    {
        using var ps = new PowerShellSession();
        var result = ps.Run("""
            foreach ($command in Get-Command -Module GitMirror) {
                $help = Get-Help $command.Name -Full
                [pscustomobject]@{
                    Name = $command.Name
                    Synopsis = $help.Synopsis
                    Description = @($help.description).Count
                    Examples = @($help.examples.example | Where-Object { $_.code }).Count
                }
            }
            """);

        Assert.Empty(result.AllErrors);
        Assert.Contains(result.Output, o => (string)o.Properties["Name"].Value == "Get-MirrorPair");
        Assert.All(result.Output, help =>
        {
            var name = (string)help.Properties["Name"].Value;
            var synopsis = (string)help.Properties["Synopsis"].Value;
            // Without MAML, Get-Help's synopsis is the generated syntax line, which starts with the name.
            Assert.False(synopsis.StartsWith(name, StringComparison.Ordinal), $"{name} has no help: '{synopsis}'");
            Assert.True((int)help.Properties["Description"].Value > 0, $"{name} has no description");
            Assert.True((int)help.Properties["Examples"].Value >= 2, $"{name} has fewer than two examples");
        });
    }

    [Fact]
    public void Every_exported_cmdlet_documents_exactly_its_parameters()
    {
        using var ps = new PowerShellSession();
        var result = ps.Run("""
            $common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
            foreach ($command in Get-Command -Module GitMirror) {
                $actual = $command.Parameters.Keys | Where-Object { $_ -notin $common }
                $documented = (Get-Help $command.Name -Full).parameters.parameter.name | Where-Object { $_ -notin $common }
                $missing = $actual | Where-Object { $_ -notin $documented }
                $extra = $documented | Where-Object { $_ -notin $actual }
                if ($missing -or $extra) { "$($command.Name): undocumented [$($missing -join ', ')], documented but absent [$($extra -join ', ')]" }
            }
            """);

        Assert.Empty(result.AllErrors);
        Assert.Empty(result.Output.Select(o => o.BaseObject.ToString()));
    }

    [Fact]
    public void Get_MirrorPair_help_shows_parameters_syntax_and_examples_from_the_docs()
    {
        using var ps = new PowerShellSession();
        var result = ps.Run("""
            $help = Get-Help Get-MirrorPair -Full
            $name = $help.parameters.parameter | Where-Object name -eq 'Name'
            $name.position
            $name.globbing
            ($help.syntax.syntaxItem.parameter.name) -join ','
            $help.examples.example[0].code
            """);

        Assert.Empty(result.AllErrors);
        Assert.Equal(["0", "true", "Name,Path", "Get-MirrorPair -Path ./repos.yaml"], result.Output.Select(o => o.BaseObject.ToString()));
    }

    [Fact]
    public void About_GitMirror_has_the_runbook_and_the_exit_codes()
    {
        using var ps = new PowerShellSession();
        var result = ps.Run("Get-Help about_GitMirror");

        Assert.Empty(result.AllErrors);
        var text = string.Join("\n", result.Output.Select(o => o.BaseObject.ToString()));
        Assert.StartsWith("TOPIC", text);
        Assert.Contains("EXIT CODES", text);
        Assert.Contains("Compare-MirrorRef | Where-Object Diverged | Repair-MirrorDivergence -Prefer GitHub", text);
        Assert.Contains("Remove-MirrorRef", text);
    }

    [Fact]
    public void Help_files_are_at_the_top_of_the_module_folder()
    {
        var moduleDir = Path.GetDirectoryName(PowerShellSession.ModulePath)!;
        Assert.True(File.Exists(Path.Combine(moduleDir, "GitMirror.dll-Help.xml")));
        Assert.True(File.Exists(Path.Combine(moduleDir, "about_GitMirror.help.txt")));
    }
}
