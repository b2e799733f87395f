using System.Management.Automation;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.PowerShell.Tests;

/// <summary>
/// A branch name is chosen by whoever can push. Every command GitMirror writes for a person to
/// paste (error records' RecommendedAction, Repair's retry hint, the status page's repair
/// commands) or that tab completion inserts is run here through the real PowerShell engine, with
/// the GitMirror cmdlets shadowed by recording functions: the payload in the name must never run,
/// and the argument PowerShell binds must be exactly the ref.
/// </summary>
public sealed class HostileRefNameTests : IDisposable
{
    private readonly MirrorWorld _world = new();
    private readonly PowerShellSession _ps;

    public HostileRefNameTests()
    {
        _ps = new PowerShellSession(_world.Root);
    }

    public void Dispose()
    {
        _ps.Dispose();
        _world.Dispose();
    }

    /// <summary>Every character PowerShell reads as a quote, an escape or an expansion; each closes or breaks out of a naive quoting.</summary>
    public static TheoryData<string> HostileNames() => new()
    {
        "x';pwned;#",
        "x\u2018;pwned;#",
        "x\u2019;pwned;#",
        "x\u201A;pwned;#",
        "x\u201B;pwned;#",
        "x\";pwned;#",
        "x\u201C;pwned;#",
        "x\u201D;pwned;#",
        "x\u201E;pwned;#",
        "x`';pwned;#",
        "x$(pwned)",
        "x'+$(pwned)+'",
        "x\u2019+$(pwned)+\u2019",
    };

    [Theory]
    [MemberData(nameof(HostileNames))]
    public void Commands_suggested_or_completed_for_a_hostile_branch_name_bind_the_name_and_never_run_it(string branch)
    {
        var fullRef = "refs/heads/" + branch;
        var (github, gitlab) = _world.AddPair("app");
        var main = github.Commits(2);
        var tip = github.Commit(branch, from: main);
        Assert.Empty(Run("Sync-MirrorPair app -Path $args[0]").AllErrors);
        Assert.Equal(tip, Git.Run(gitlab.BarePath, "rev-parse", fullRef));

        // Tab completion of -Ref, from the cache the sync filled.
        var completed = Run("(TabExpansion2 -inputScript $args[1] -cursorColumn $args[1].Length).CompletionMatches | ForEach-Object CompletionText",
            "Compare-MirrorRef -Name app -Ref x");
        Assert.Empty(completed.AllErrors);
        var completion = Assert.Single(completed.Output.Select(o => (string)o.BaseObject));

        // MirrorRefDiverged's RecommendedAction.
        github.Commit(branch, message: "github work");
        var gitlabTip = gitlab.Commit(branch, from: tip, message: "gitlab work");
        var sync = Run("Sync-MirrorPair app -Path $args[0]");
        var diverged = Assert.Single(sync.AllErrors);
        Assert.StartsWith("MirrorRefDiverged", diverged.FullyQualifiedErrorId);

        // Repair's retry hint (MirrorRefMoved): the ref moves between the comparison and the repair.
        Assert.Empty(Run("$global:seen = Get-MirrorPair app -Path $args[0] | Compare-MirrorRef | Where-Object Diverged").AllErrors);
        gitlab.Commit(branch, from: gitlabTip, message: "moved meanwhile");
        var repair = Run("$global:seen | Repair-MirrorDivergence -Prefer GitHub -Force");
        var moved = Assert.Single(repair.AllErrors);
        Assert.StartsWith("MirrorRefMoved", moved.FullyQualifiedErrorId);

        // The status page's commands come from the core builder the module carries.
        var page = Run(Builder + "$path, $ref = $args; 'GitHub', 'GitLab' | ForEach-Object { Build 'Repair' $path 'app' $ref $_ }", fullRef);
        Assert.Empty(page.AllErrors);

        var commands = Commands(diverged.ErrorDetails.RecommendedAction)
            .Concat(Commands(moved.ErrorDetails.RecommendedAction))
            .Concat(page.Output.Select(o => (string)o.BaseObject))
            .ToList();
        Assert.Equal(5, commands.Count); // two choices, one retry, two on the page
        Assert.Contains(commands, c => c.EndsWith("-Prefer GitLab", StringComparison.Ordinal));

        ShadowTheCmdlets();
        foreach (var command in commands)
        {
            var bound = Execute(command);
            Assert.All(bound, b => Assert.Equal(fullRef, b.Ref));
            Assert.All(bound, b => Assert.Equal("app", b.Name));
        }
        var fromCompletion = Execute("Compare-MirrorRef -Name app -Ref " + completion);
        Assert.Equal(branch, Assert.Single(fromCompletion).Ref);
    }

    [Theory]
    [InlineData("a\nb;pwned;#")]
    [InlineData("refs/heads/x\r';pwned;#")]
    [InlineData("refs/heads/\u001b]0;title\u0007x\u2019;pwned;#")]
    [InlineData("\u0000\u0001\u001f\u007f\u0085")]
    [InlineData("\t'$(pwned)'")]
    public void Control_characters_are_spelled_out_and_bound_exactly(string name)
    {
        _world.AddPair("app");
        Assert.Empty(Run("Get-MirrorPair -Path $args[0] | Out-Null").AllErrors); // loads the module's core
        var built = Run(Builder + "Build 'Repair' $null $args[1] $args[1] 'GitLab'; Build 'CompareRef' $null $args[1] $args[1]", name);
        Assert.Empty(built.AllErrors);
        var commands = built.Output.Select(o => (string)o.BaseObject).ToList();
        Assert.All(commands, c => Assert.DoesNotContain(c, char.IsControl));

        ShadowTheCmdlets();
        foreach (var command in commands)
        {
            var bound = Assert.Single(Execute(command));
            Assert.Equal(name, bound.Name);
            Assert.Equal(name, bound.Ref);
        }
    }

    /// <summary>
    /// <c>Build &lt;method&gt; args…</c>: calls RepairCommands of the module's own GitMirror.Core,
    /// which lives in the module's load context (not resolvable by type name from a script).
    /// </summary>
    private const string Builder = """
        function Build($method) {
            $core = [System.Runtime.Loader.AssemblyLoadContext]::All.Assemblies | Where-Object { $_.GetName().Name -eq 'GitMirror.Core' } | Select-Object -First 1
            $m = $core.GetType('GitMirror.Core.Report.RepairCommands').GetMethod($method)
            $values = @($args)
            $types = $m.GetParameters().ParameterType
            for ($i = 0; $i -lt $values.Count; $i++) { if ($types[$i].IsEnum) { $values[$i] = [Enum]::Parse($types[$i], $values[$i]) } }
            $m.Invoke($null, [object[]]$values)
        }

        """;

    private RunResult Run(string script, params object?[] more) =>
        _ps.Run(script, [_world.ConfigPath, .. more]);

    /// <summary>The command lines of a RecommendedAction: the lines that start with a GitMirror verb.</summary>
    private static IEnumerable<string> Commands(string recommended) =>
        recommended.Split('\n').Select(l => l.Trim())
            .Where(l => l.StartsWith("Compare-MirrorRef ", StringComparison.Ordinal) || l.StartsWith("Repair-MirrorDivergence ", StringComparison.Ordinal) || l.StartsWith("Remove-MirrorRef ", StringComparison.Ordinal));

    /// <summary>Functions win over cmdlets: each records what PowerShell bound; <c>pwned</c> counts runs of the payload.</summary>
    private void ShadowTheCmdlets()
    {
        var defined = _ps.Run("""
            $global:bound = [System.Collections.Generic.List[object]]::new()
            $global:pwnedCount = 0
            function global:pwned { $global:pwnedCount++ }
            function global:Compare-MirrorRef { param($Path, $Name, $Ref) $global:bound.Add([pscustomobject]@{ Name = $Name; Ref = $Ref }); [pscustomobject]@{ PairName = $Name; Ref = $Ref; Diverged = $true } }
            function global:Repair-MirrorDivergence {
                param([Parameter(ValueFromPipeline)] $InputObject, $Path, $Name, $Ref, $Prefer, [switch] $Force)
                process { if ($null -eq $InputObject) { $global:bound.Add([pscustomobject]@{ Name = $Name; Ref = $Ref }) } }
            }
            """);
        Assert.Empty(defined.AllErrors);
    }

    private List<(string Name, string Ref)> Execute(string command)
    {
        var result = _ps.Run("$global:bound.Clear(); Invoke-Expression $args[0] | Out-Null; $global:pwnedCount; $global:bound", command);
        Assert.True(result.Terminating is null && result.Errors.Count == 0, $"{command}: {string.Join("; ", result.AllErrors)}");
        Assert.True(0 == (int)result.Output[0].BaseObject, "the payload ran: " + command);
        var bound = result.Output.Skip(1).Select(o => ((string)o.Properties["Name"].Value, (string)o.Properties["Ref"].Value)).ToList();
        Assert.NotEmpty(bound);
        return bound;
    }
}
