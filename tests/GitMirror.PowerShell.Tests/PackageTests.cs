using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.PowerShell.Tests;

/// <summary>The .nupkg of `./build.ps1 Package` (dotnet pack build/GitMirror.Package) has the layout PSResourceGet installs.</summary>
public class PackageTests
{
    [Fact]
    public void The_nupkg_holds_the_module_folder_at_its_root_and_a_PSModule_nuspec()
    {
        using var output = new TempDir("gitmirror-pack");
        var pack = Process.Start(new ProcessStartInfo("dotnet", ["pack", Path.Combine(PowerShellSession.RepoRoot, "build", "GitMirror.Package"), "-o", output.Path, "-v", "q", "-nologo"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var log = pack.StandardOutput.ReadToEnd() + pack.StandardError.ReadToEnd();
        pack.WaitForExit();
        Assert.True(pack.ExitCode == 0, log);

        var nupkg = Assert.Single(Directory.GetFiles(output.Path, "*.nupkg"));
        using var zip = ZipFile.OpenRead(nupkg);
        var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
        Assert.Contains("GitMirror.psd1", entries);
        Assert.Contains("GitMirror.psm1", entries);
        Assert.Contains("GitMirror.Model.dll", entries);
        Assert.Contains("GitMirror.dll-Help.xml", entries);
        Assert.Contains("about_GitMirror.help.txt", entries);
        Assert.Contains("bin/GitMirror.dll", entries);
        Assert.Contains(entries, e => e.StartsWith("bin/runtimes/linux-x64/native/", StringComparison.Ordinal));
        Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal) || e.Contains("HelpGen"));

        XNamespace ns = "http://schemas.microsoft.com/packaging/2011/08/nuspec.xsd";
        using var nuspecStream = zip.GetEntry("GitMirror.nuspec")!.Open();
        var metadata = XDocument.Load(nuspecStream).Root!.Element(ns + "metadata")!;
        var manifest = File.ReadAllText(PowerShellSession.ModulePath);
        Assert.Equal("GitMirror", metadata.Element(ns + "id")!.Value);
        Assert.Contains($"ModuleVersion = '{metadata.Element(ns + "version")!.Value}'", manifest);
        Assert.Equal($"GitMirror.{metadata.Element(ns + "version")!.Value}.nupkg", Path.GetFileName(nupkg));
        Assert.False(string.IsNullOrWhiteSpace(metadata.Element(ns + "description")!.Value));
        var tags = metadata.Element(ns + "tags")!.Value.Split(' ');
        Assert.Contains("PSModule", tags);
        Assert.Contains("PSEdition_Core", tags);
        foreach (var cmdlet in ModuleImportTests.Cmdlets) Assert.Contains("PSCmdlet_" + cmdlet, tags);
    }
}
