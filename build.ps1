#Requires -Version 7.4
<#
.SYNOPSIS
    GitMirror's task runner: the original Makefile's targets as tasks.
.DESCRIPTION
    Install    dotnet restore, plus the test tools of .ci/install-tools (where bash is available)
    Build      builds everything; leaves the importable module in out/GitMirror/
    Test       dotnet test: every xUnit project and the Pester suite tests/pester (in the pinned pwsh)
    Lint       dotnet format --verify-no-changes, PSScriptAnalyzer when installed, and a parse of
               every .ps1/.psd1/.psm1
    Daemon     one Sync-MirrorPair -All over the configuration; exits with its exit code
    Bootstrap  Initialize-MirrorBootstrap -All over the configuration
    Package    builds (-Configuration, default Release), then out/GitMirror.<version>.nupkg for
               Install-PSResource / Publish-PSResource
    Clean      removes out/ and every bin/ and obj/
.EXAMPLE
    ./build.ps1 Build, Test
.EXAMPLE
    ./build.ps1 Daemon -ConfigPath /etc/gitmirror/repos.yaml
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('Install', 'Build', 'Test', 'Lint', 'Daemon', 'Bootstrap', 'Package', 'Clean')]
    [string[]] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # The repos.yaml for Daemon and Bootstrap; default: $env:GITMIRROR_CONFIG, else ./repos.yaml.
    [string] $ConfigPath
)

$ErrorActionPreference = 'Stop'
# A failing dotnet/git/pwsh stops the build instead of scrolling by.
$PSNativeCommandUseErrorActionPreference = $true

$repoRoot = $PSScriptRoot
$solution = Join-Path $repoRoot 'GitMirror.sln'
$moduleManifest = Join-Path $repoRoot 'out/GitMirror/GitMirror.psd1'
# Module tasks run in a child pwsh so this session never locks the module's assemblies. pwsh as a
# .NET tool (dotnet tool install PowerShell, the .NET SDK images) runs as `dotnet pwsh.dll`: the
# process is dotnet, so name pwsh.dll after it.
$pwsh = @([Environment]::ProcessPath)
if ([System.IO.Path]::GetFileNameWithoutExtension($pwsh[0]) -eq 'dotnet') { $pwsh += Join-Path $PSHOME 'pwsh.dll' }

function Invoke-Pwsh {
    & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive @args
}

function Invoke-ModuleCommand {
    # $Script names the configuration with @Path; returns the child's exit code.
    param([string] $Script)
    if (-not (Test-Path $moduleManifest)) { Invoke-Build | Out-Host }
    $pathArgument = if ($ConfigPath) { " -Path '$($ConfigPath.Replace("'", "''"))'" } else { '' }
    $command = "Import-Module '$moduleManifest' -ErrorAction Stop; " + $Script.Replace('@Path', $pathArgument)
    $PSNativeCommandUseErrorActionPreference = $false
    Invoke-Pwsh -Command $command | Out-Host
    return $LASTEXITCODE
}

function Invoke-Build {
    dotnet build $solution -c $Configuration
}

function Invoke-Install {
    dotnet restore $solution
    $installTools = Join-Path $repoRoot '.ci/install-tools'
    if ((Test-Path $installTools) -and (Get-Command bash -ErrorAction Ignore)) {
        bash $installTools
    }
}

function Invoke-Test {
    # The Pester suite runs inside it (tests/GitMirror.PowerShell.Tests, PesterSuiteTests).
    dotnet test $solution -c $Configuration
}

function Invoke-Lint {
    $scripts = Get-ChildItem $repoRoot -Recurse -File -Include *.ps1, *.psd1, *.psm1 |
        Where-Object FullName -NotMatch '[\\/](bin|obj|out|node_modules)[\\/]'
    $parseErrors = foreach ($script in $scripts) {
        $tokens = $errors = $null
        $null = [System.Management.Automation.Language.Parser]::ParseFile($script.FullName, [ref] $tokens, [ref] $errors)
        $errors | ForEach-Object { "$($script.FullName):$($_.Extent.StartLineNumber): $($_.Message)" }
    }
    if ($parseErrors) { throw "PowerShell parse errors:`n$($parseErrors -join "`n")" }
    Write-Host "Parsed $($scripts.Count) PowerShell files."

    dotnet format $solution --verify-no-changes

    if (Get-Module -ListAvailable PSScriptAnalyzer) {
        $findings = $scripts | ForEach-Object { Invoke-ScriptAnalyzer -Path $_.FullName -Severity Warning, Error }
        if ($findings) {
            $findings | Format-Table -AutoSize | Out-Host
            throw "PSScriptAnalyzer reported $(@($findings).Count) finding(s)."
        }
    }
    else {
        Write-Warning 'PSScriptAnalyzer is not installed: skipping it (Install-PSResource PSScriptAnalyzer).'
    }
}

function Invoke-Package {
    # out/GitMirror holds whatever was built last (a Debug `dotnet build`, say): build what is packed.
    Invoke-Build
    dotnet pack (Join-Path $repoRoot 'build/GitMirror.Package') -c $Configuration -o (Join-Path $repoRoot 'out')
}

function Invoke-Clean {
    $targets = @(Join-Path $repoRoot 'out') + (Get-ChildItem $repoRoot -Recurse -Directory -Include bin, obj |
        Where-Object FullName -NotMatch '[\\/](node_modules|\.git)[\\/]').FullName
    $targets | Where-Object { Test-Path $_ } | Remove-Item -Recurse -Force
}

foreach ($name in $Task) {
    Write-Host "== $name" -ForegroundColor Cyan
    switch ($name) {
        'Install' { Invoke-Install }
        'Build' { Invoke-Build }
        'Test' { Invoke-Test }
        'Lint' { Invoke-Lint }
        'Package' { Invoke-Package }
        'Clean' { Invoke-Clean }
        # The sync's exit code (0 in sync, 1 diverged, 2 failed, 3 bad configuration) is the
        # build's, as the cron job and `make daemon` reported it.
        'Daemon' { exit (Invoke-ModuleCommand 'Sync-MirrorPair -All@Path; exit ($GitMirrorSyncExitCode ?? 3)') }
        # Non-zero when a step failed or an error was written.
        'Bootstrap' {
            $code = Invoke-ModuleCommand ('$results = @(Initialize-MirrorBootstrap -All@Path); $ok = $?; $results; ' +
                'exit ([int](-not $ok -or @($results | Where-Object Succeeded -EQ $false).Count -gt 0))')
            if ($code) { exit $code }
        }
    }
}
