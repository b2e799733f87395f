using Xunit;

namespace GitMirror.PowerShell.Tests;

public class ModuleImportTests
{
    internal static readonly string[] Cmdlets =
    [
        "Compare-MirrorRef", "Get-MirrorCredential", "Get-MirrorPair", "Get-MirrorStatus", "Initialize-MirrorBootstrap",
        "Remove-MirrorRef", "Repair-MirrorDivergence", "Sync-MirrorPair",
    ];

    [Fact]
    public void Module_loads_its_engine_into_a_private_load_context()
    {
        using var ps = new PowerShellSession();
        var result = ps.Run("""
            $cmdlets = (Get-Command Get-MirrorPair).ImplementingType.Assembly
            [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($cmdlets).Name
            $model = [GitMirror.MirrorPair].Assembly
            [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($model).Name
            """);
        Assert.Empty(result.AllErrors);
        Assert.Equal("GitMirror", result.Output[0].BaseObject);
        Assert.Equal("Default", result.Output[1].BaseObject);
    }

    [Fact]
    public void Module_folder_holds_only_the_four_native_runtimes()
    {
        var runtimes = Path.Combine(PowerShellSession.RepoRoot, "out", "GitMirror", "bin", "runtimes");
        string[] rids = Directory.GetDirectories(runtimes).Select(d => Path.GetFileName(d)!).Order().ToArray();
        Assert.Equal(["linux-x64", "osx-arm64", "osx-x64", "win-x64"], rids);
        Assert.False(File.Exists(Path.Combine(PowerShellSession.RepoRoot, "out", "GitMirror", "bin", "System.Management.Automation.dll")));
        Assert.True(File.Exists(Path.Combine(PowerShellSession.RepoRoot, "out", "GitMirror", "GitMirror.Model.dll")));
    }
}
