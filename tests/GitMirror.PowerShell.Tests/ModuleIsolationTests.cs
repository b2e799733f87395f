using System.Reflection;
using Xunit;

namespace GitMirror.PowerShell.Tests;

public class ModuleIsolationTests
{
    private static string OtherYamlDotNet =>
        typeof(ModuleIsolationTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "OtherYamlDotNet").Value!;

    [Fact]
    public void Another_modules_YamlDotNet_loaded_first_does_not_break_GitMirror_or_itself()
    {
        using var config = new SampleConfig();
        using var ps = new PowerShellSession(import: false);
        // As powershell-yaml or platyPS would: their YamlDotNet in the default context, before us.
        var result = ps.Run("""
            $other = [System.Reflection.Assembly]::LoadFrom($args[0])
            Import-Module $args[1]
            $pairs = Get-MirrorPair -Path $args[2]
            $deserializer = [YamlDotNet.Serialization.DeserializerBuilder]::new().Build()
            $parsed = $deserializer.Deserialize[System.Collections.Generic.Dictionary[string, string]]('answer: forty-two')
            $other.GetName().Version.ToString()
            ([YamlDotNet.Serialization.DeserializerBuilder]).Assembly.GetName().Version.ToString()
            $parsed['answer']
            $pairs.Name
            """, OtherYamlDotNet, PowerShellSession.ModulePath, config.Path);

        Assert.Empty(result.AllErrors);
        Assert.Equal("16.0.0.0", result.Output[0].BaseObject);
        Assert.Equal("16.0.0.0", result.Output[1].BaseObject); // the session's YamlDotNet is still the other module's
        Assert.Equal("forty-two", result.Output[2].BaseObject);
        Assert.Equal(["myorg/repo1", "my repo2"], result.Output.Skip(3).Select(o => (string)o.BaseObject));
    }

    [Fact]
    public void Removing_and_importing_the_module_again_keeps_working_cmdlets()
    {
        // PowerShell issue 20710: a re-import from an already loaded assembly exported no cmdlets.
        using var config = new SampleConfig();
        using var ps = new PowerShellSession();
        var result = ps.Run("""
            @(Get-Command -Module GitMirror).Count
            Remove-Module GitMirror
            Import-Module ([System.IO.Path]::GetDirectoryName($args[0]))
            @(Get-Command -Module GitMirror).Count
            (Get-MirrorPair -Path $args[1] -Name 'myorg/*').GitLab
            """, PowerShellSession.ModulePath, config.Path);

        Assert.Empty(result.AllErrors);
        Assert.True((int)result.Output[0].BaseObject > 0);
        Assert.Equal(result.Output[0].BaseObject, result.Output[1].BaseObject);
        Assert.Equal("myorg/repo1", result.Output[2].BaseObject);
    }
}
