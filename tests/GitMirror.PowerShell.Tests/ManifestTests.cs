using Xunit;

namespace GitMirror.PowerShell.Tests;

public class ManifestTests
{
    [Fact]
    public void The_built_manifest_is_valid_explicit_and_stamped_with_the_build_version()
    {
        using var ps = new PowerShellSession(import: false);
        var result = ps.Run("""
            $m = Test-ModuleManifest -Path $args[0]
            $m.Version.ToString()
            $m.PowerShellVersion.ToString()
            $m.CompatiblePSEditions -join ','
            ($m.ExportedCmdlets.Keys | Sort-Object) -join ','
            $m.ExportedFunctions.Count + $m.ExportedAliases.Count + $m.ExportedVariables.Count
            [bool]$m.ProjectUri
            [bool]$m.ReleaseNotes
            $m.Tags -contains 'PSEdition_Core'
            """.Replace(" | Sort-Object", ""), PowerShellSession.ModulePath);

        Assert.Empty(result.AllErrors);
        var props = File.ReadAllText(Path.Combine(PowerShellSession.RepoRoot, "Directory.Build.props"));
        var values = result.Output.Select(o => o.BaseObject.ToString() ?? "").ToArray();
        Assert.Contains($"<Version>{values[0]}</Version>", props);
        Assert.Equal("7.4", values[1]);
        Assert.Equal("Core", values[2]);
        Assert.Equal(ModuleImportTests.Cmdlets.Order(), values[3].Split(',').Order());
        Assert.Equal(new[] { "0", "True", "True", "True" }, values[4..]);
    }
}
