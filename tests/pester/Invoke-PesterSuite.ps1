#Requires -Version 7.4
<#
.SYNOPSIS
    Runs the Pester suite (tests/pester) against the built module and summarises it.
.DESCRIPTION
    The one way the suite is run: `dotnet test` runs it through tests/GitMirror.PowerShell.Tests
    (PesterSuiteTests) in a real pwsh, with Pester from the NuGet feed (the version that project
    pins). Writes NUnit XML to -ResultPath and a JSON summary (Passed, Failed, Skipped, NotRun,
    FailedTests) to -SummaryPath. Exits with the number of failed tests (0: all passed).
.EXAMPLE
    ./tests/pester/Invoke-PesterSuite.ps1 -PesterPath ~/.nuget/packages/pester/5.7.1/tools/Pester.psd1
#>
[CmdletBinding()]
param(
    # Pester.psd1 to import; default: the newest Pester 5+ installed.
    [string] $PesterPath,
    [string] $ResultPath,
    [string] $SummaryPath,
    [ValidateSet('None', 'Normal', 'Detailed', 'Diagnostic')]
    [string] $Verbosity = 'Detailed'
)

$ErrorActionPreference = 'Stop'
if ($PesterPath) { Import-Module $PesterPath -Force }
else { Import-Module Pester -MinimumVersion 5.0 }

$configuration = New-PesterConfiguration
$configuration.Run.Path = $PSScriptRoot
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = $Verbosity
$configuration.Output.RenderMode = 'Plaintext'
if ($ResultPath) {
    $configuration.TestResult.Enabled = $true
    $configuration.TestResult.OutputPath = $ResultPath
}
$run = Invoke-Pester -Configuration $configuration

# A block or file that failed to run (a BeforeAll that threw) fails no single test: count it too.
$summary = [ordered]@{
    Passed      = $run.PassedCount
    Failed      = $run.FailedCount + @($run.FailedBlocks).Count + @($run.FailedContainers).Count
    Skipped     = $run.SkippedCount
    NotRun      = $run.NotRunCount
    FailedTests = @(@($run.Failed).ExpandedPath) + @(@($run.FailedBlocks).ExpandedPath) + @(@($run.FailedContainers).Item | ForEach-Object { "$_" })
    PesterVersion = (Get-Module Pester).Version.ToString()
}
if ($SummaryPath) { $summary | ConvertTo-Json | Set-Content -Path $SummaryPath -Encoding utf8 }
exit ([Math]::Min(255, $summary.Failed))
