# Shared by the Pester files: dot-sourced in their BeforeAll. Fixtures are local bare repositories
# standing in for GitHub and GitLab under TestDrive, and a repos.yaml pointing at them.

$script:ModuleManifest = Join-Path $PSScriptRoot '../../out/GitMirror/GitMirror.psd1'
Import-Module $script:ModuleManifest -Force

# Reproducible commits, whoever runs the tests.
$env:GIT_AUTHOR_NAME = $env:GIT_COMMITTER_NAME = 'GitMirror Tests'
$env:GIT_AUTHOR_EMAIL = $env:GIT_COMMITTER_EMAIL = 'tests@example.com'
$env:GIT_CONFIG_NOSYSTEM = '1'

function Invoke-Git {
    $output = & git @args 2>&1
    if ($LASTEXITCODE) { throw "git $args failed: $output" }
    $output
}

# A fresh pair of forges: <root>/github/<path>.git and <root>/gitlab/<path>.git, and its repos.yaml.
function New-MirrorFixture {
    param([string] $Name = 'mirror')
    $root = Join-Path $TestDrive $Name
    foreach ($side in 'github', 'gitlab') {
        Invoke-Git init --bare --quiet --initial-branch=main (Join-Path $root "$side/myorg/repo1.git")
    }
    $config = Join-Path $root 'repos.yaml'
    Set-Content -Path $config -Value @"
version: 1
github:
  url: $root/github
gitlab:
  url: $root/gitlab
cache: $root/cache
repos:
  - github: myorg/repo1
    gitlab: myorg/repo1
  - github: myorg/repo2
    gitlab: team/repo2
    name: other
"@
    foreach ($side in 'github', 'gitlab') {
        Invoke-Git init --bare --quiet --initial-branch=main (Join-Path $root "$side/$(if ($side -eq 'github') { 'myorg/repo2' } else { 'team/repo2' }).git")
    }
    [pscustomobject]@{
        Root   = $root
        Config = $config
        GitHub = Join-Path $root 'github/myorg/repo1.git'
        GitLab = Join-Path $root 'gitlab/myorg/repo1.git'
    }
}

# Commits a new file on top of $From (or an empty history) and pushes it to $Branch of $Bare.
function Add-Commit {
    param([string] $Bare, [string] $Branch = 'main', [string] $From)
    $work = Join-Path $TestDrive ('work-' + [guid]::NewGuid().ToString('N'))
    Invoke-Git init --quiet --initial-branch=main $work
    if ($From) {
        Invoke-Git -C $work fetch --quiet $Bare $From
        Invoke-Git -C $work checkout --quiet FETCH_HEAD
    }
    Set-Content -Path (Join-Path $work "$([guid]::NewGuid()).txt") -Value 'content'
    Invoke-Git -C $work add --all
    Invoke-Git -C $work commit --quiet -m "commit on $Branch"
    Invoke-Git -C $work push --quiet --force $Bare "HEAD:refs/heads/$Branch"
    Invoke-Git -C $work rev-parse HEAD
}

function Get-RefSha {
    param([string] $Bare, [string] $Ref)
    $sha = & git -C $Bare rev-parse --verify --quiet $Ref
    if ($LASTEXITCODE) { $null } else { $sha }
}


# The pwsh running these tests, to start another one: a .NET tool pwsh is `dotnet pwsh.dll`.
function Get-PwshCommand {
    $command = @([Environment]::ProcessPath)
    if ([System.IO.Path]::GetFileNameWithoutExtension($command[0]) -eq 'dotnet') { $command += Join-Path $PSHOME 'pwsh.dll' }
    , $command
}

# The built gitmirror host of the newest build (Debug or Release).
function Get-HostDll {
    Get-ChildItem (Join-Path $PSScriptRoot '../../src/GitMirror.Host/bin') -Recurse -Filter gitmirror.dll |
        Where-Object FullName -Match 'net10\.0[\\/]gitmirror\.dll$' | Sort-Object LastWriteTime -Descending | Select-Object -First 1 -ExpandProperty FullName
}
