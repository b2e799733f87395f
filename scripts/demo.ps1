<#
.SYNOPSIS
    GitMirror's quick start: mirrors two local stand-ins for GitHub and GitLab, then shows a
    divergence halting the pair. No tokens, no network.

.DESCRIPTION
    Creates, in a new temporary folder, two bare repositories standing in for a GitHub and a GitLab
    project, each with branches and tags the other lacks (one tag annotated), and a repos.yaml that
    points at them. Then it:
      1. syncs the pair (everything is copied both ways),
      2. compares every branch and tag (all InSync),
      3. commits different work to main on each side and syncs again: the pair is Halted, nothing
         is pushed, and the diverged ref is reported.
    It ends with that run's exit code, 1. Uses only PowerShell's Core cmdlets, GitMirror and .NET,
    so it runs in `gitmirror` as well as in pwsh.

.PARAMETER KeepFiles
    Keep the temporary folder (repositories, repos.yaml, cache) and print its path.

.PARAMETER Path
    Make the demo in this folder instead of a temporary one, and keep it: its repos.yaml is then
    there to try the cmdlets on (Get-MirrorPair -Path <folder>/repos.yaml). The folder must not
    exist yet, or be empty.

.EXAMPLE
    dotnet run --project src/GitMirror.Host -- -File scripts/demo.ps1

.EXAMPLE
    gitmirror -File scripts/demo.ps1 -KeepFiles

.EXAMPLE
    ./scripts/demo.ps1 -Path ./demo; Sync-MirrorPair -All -Path ./demo/repos.yaml -WhatIf

.EXAMPLE
    pwsh -c 'Import-Module ./out/GitMirror; ./scripts/demo.ps1'
#>
[CmdletBinding()]
param(
    [switch]$KeepFiles,
    [string]$Path
)

if (-not (Get-Module -Name GitMirror)) {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', 'out', 'GitMirror', 'GitMirror.psd1')) -ErrorAction Stop
}

function Show-Step([string]$Text) {
    Out-Host -InputObject ([Environment]::NewLine + "== $Text")
}

# Identity and signing settings of the demo's own commits, so no git configuration is needed or used.
$gitSettings = @('-c', 'user.name=GitMirror Demo', '-c', 'user.email=demo@example.invalid',
    '-c', 'commit.gpgsign=false', '-c', 'tag.gpgsign=false', '-c', 'init.defaultBranch=main')

function Invoke-Git {
    $output = & git @gitSettings @args
    if ($LASTEXITCODE -ne 0) { throw "git $args failed with exit code $LASTEXITCODE" }
    $output
}

function New-Commit([string]$Work, [string]$Message) {
    $file = [System.IO.Path]::Combine($Work, 'notes.txt')
    [System.IO.File]::AppendAllText($file, $Message + [Environment]::NewLine)
    Invoke-Git -C $Work add notes.txt
    Invoke-Git -C $Work commit --quiet -m $Message
}

if ($Path) {
    $root = $PSCmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path)
    if ([System.IO.Directory]::Exists($root) -and [System.IO.Directory]::EnumerateFileSystemEntries($root).GetEnumerator().MoveNext()) {
        throw "The demo folder '$root' is not empty: give a new folder."
    }
    $KeepFiles = $true
}
else {
    $root = [System.IO.Path]::Combine([System.IO.Path]::GetTempPath(), 'gitmirror-demo-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
}
$github = [System.IO.Path]::Combine($root, 'github')
$gitlab = [System.IO.Path]::Combine($root, 'gitlab')
$githubRepo = [System.IO.Path]::Combine($github, 'acme', 'widgets.git')
$gitlabRepo = [System.IO.Path]::Combine($gitlab, 'acme', 'widgets.git')
$work = [System.IO.Path]::Combine($root, 'work')
$config = [System.IO.Path]::Combine($root, 'repos.yaml')

try {
    Show-Step "Two local 'forges' in $root"
    Invoke-Git init --quiet --bare $githubRepo
    Invoke-Git init --quiet --bare $gitlabRepo
    Invoke-Git init --quiet $work

    New-Commit $work 'Initial commit'
    Invoke-Git -C $work push --quiet $githubRepo main
    Invoke-Git -C $work push --quiet $gitlabRepo main

    # GitHub gets a feature branch and an annotated release tag.
    Invoke-Git -C $work checkout --quiet -b feature/login
    New-Commit $work 'Login form'
    Invoke-Git -C $work tag -a v1.0 -m 'Release 1.0' main
    Invoke-Git -C $work push --quiet $githubRepo feature/login v1.0

    # GitLab gets new work on main, a docs branch and a lightweight tag.
    Invoke-Git -C $work checkout --quiet main
    New-Commit $work 'Fix typo in README'
    Invoke-Git -C $work tag v1.0.1
    Invoke-Git -C $work push --quiet $gitlabRepo main v1.0.1
    Invoke-Git -C $work checkout --quiet -b docs
    New-Commit $work 'User guide'
    Invoke-Git -C $work push --quiet $gitlabRepo docs

    Out-Host -InputObject "GitHub acme/widgets: $((Invoke-Git -C $githubRepo for-each-ref --format='%(refname:short)') -join ', ')"
    Out-Host -InputObject "GitLab acme/widgets: $((Invoke-Git -C $gitlabRepo for-each-ref --format='%(refname:short)') -join ', ')"

    # Single quotes: a Windows path is taken literally.
    [System.IO.File]::WriteAllText($config, @"
version: 1
github:
  url: '$github'
gitlab:
  url: '$gitlab'
cache: '$([System.IO.Path]::Combine($root, 'cache'))'
repos:
  - github: acme/widgets
    gitlab: acme/widgets
"@)
    Show-Step "repos.yaml"
    Out-Host -InputObject ([System.IO.File]::ReadAllText($config))

    Show-Step 'Sync-MirrorPair -All: every branch and tag is copied to the side that lacks it'
    Sync-MirrorPair -All -Path $config | Out-Host

    Show-Step 'Compare-MirrorRef: both sides now agree'
    Compare-MirrorRef -Path $config | Out-Host

    Show-Step 'Someone commits to main on GitHub, someone else to main on GitLab'
    $base = Invoke-Git -C $githubRepo rev-parse main
    Invoke-Git -C $work checkout --quiet --detach $base
    New-Commit $work 'GitHub: faster search'
    Invoke-Git -C $work push --quiet $githubRepo HEAD:refs/heads/main
    Invoke-Git -C $work checkout --quiet --detach $base
    New-Commit $work 'GitLab: dark mode'
    Invoke-Git -C $work push --quiet $gitlabRepo HEAD:refs/heads/main

    Show-Step 'Sync-MirrorPair -All: the pair halts, nothing is pushed, the error names the ref'
    Sync-MirrorPair -All -Path $config | Out-Host
    $exitCode = $GitMirrorSyncExitCode

    Show-Step 'Compare-MirrorRef | Where-Object Diverged: what a person has to decide'
    Compare-MirrorRef -Path $config | Where-Object Diverged | Out-Host

    Out-Host -InputObject "Exit code of that run: $exitCode (1 = a pair has diverged refs)."
}
finally {
    if ($KeepFiles) {
        Out-Host -InputObject "Files kept in $root"
    }
    elseif ([System.IO.Directory]::Exists($root)) {
        # git makes its object files read-only, which stops a delete on Windows.
        foreach ($file in [System.IO.Directory]::EnumerateFiles($root, '*', 'AllDirectories')) {
            [System.IO.File]::SetAttributes($file, 'Normal')
        }
        [System.IO.Directory]::Delete($root, $true)
    }
}

exit $exitCode
