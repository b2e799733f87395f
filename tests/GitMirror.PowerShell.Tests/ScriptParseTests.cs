using System.Management.Automation.Language;
using Xunit;

namespace GitMirror.PowerShell.Tests;

public class ScriptParseTests
{
    private static readonly string[] Skipped = ["bin", "obj", "out", "node_modules", ".git"];

    private static IEnumerable<string> RelativePaths()
    {
        var root = PowerShellSession.RepoRoot;
        return Directory.EnumerateFiles(root, "*.ps*1", SearchOption.AllDirectories)
            .Where(file => Path.GetExtension(file) is ".ps1" or ".psd1" or ".psm1")
            .Select(file => Path.GetRelativePath(root, file))
            .Where(relative => !relative.Split(Path.DirectorySeparatorChar).Any(Skipped.Contains));
    }

    public static TheoryData<string> PowerShellFiles() => new(RelativePaths());

    [Fact]
    public void The_module_and_build_scripts_are_found()
    {
        var files = RelativePaths().ToList();
        Assert.Contains("build.ps1", files);
        Assert.Contains("GitMirror.psd1", files);
        Assert.Contains(Path.Combine("src", "GitMirror", "GitMirror.psm1"), files);
    }

    [Theory]
    [MemberData(nameof(PowerShellFiles))]
    public void Parses_without_errors(string relativePath)
    {
        Parser.ParseFile(Path.Combine(PowerShellSession.RepoRoot, relativePath), out _, out var errors);
        Assert.True(errors.Length == 0, string.Join("\n", errors.Select(e => $"{relativePath}:{e.Extent.StartLineNumber}: {e.Message}")));
    }
}
