#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# GitMirror as users call it, in real pwsh: two local bare repositories per pair, one per "forge",
# under TestDrive, and a repos.yaml pointing at them. Run with ./build.ps1 Test (after Build).
# A cmdlet that has not landed yet is skipped, not failed.

BeforeDiscovery {
    $modulePath = Join-Path $PSScriptRoot '../../out/GitMirror/GitMirror.psd1'
    Import-Module $modulePath -Force
    $script:has = @{}
    foreach ($name in 'Compare-MirrorRef', 'Sync-MirrorPair', 'Initialize-MirrorBootstrap', 'Repair-MirrorDivergence', 'Remove-MirrorRef', 'Get-MirrorStatus') {
        $script:has[$name] = [bool](Get-Command $name -Module GitMirror -ErrorAction Ignore)
    }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Fixtures.ps1')
}

Describe 'Get-MirrorPair' {
    BeforeAll { $fixture = New-MirrorFixture 'get' }

    It 'lists every pair of the file with its clone URLs' {
        $pairs = Get-MirrorPair -Path $fixture.Config
        $pairs.Name | Should -Be 'myorg/repo1', 'other'
        $pairs[1].GitLab | Should -Be 'team/repo2'
        $pairs[0].OnDivergence | Should -Be 'HaltPair'
    }

    It 'selects pairs by name with wildcards' {
        (Get-MirrorPair -Path $fixture.Config -Name 'my*').Name | Should -Be 'myorg/repo1'
    }

    It 'reads $env:GITMIRROR_CONFIG when -Path is not given' {
        $env:GITMIRROR_CONFIG = $fixture.Config
        try { (Get-MirrorPair 'other').GitHub | Should -Be 'myorg/repo2' }
        finally { Remove-Item Env:GITMIRROR_CONFIG }
    }

    It 'stops with MirrorConfigInvalid on a bad file' {
        $bad = Join-Path $TestDrive 'bad.yaml'
        Set-Content $bad "repos:`n  - github: a/b`n"
        { Get-MirrorPair -Path $bad -ErrorAction Stop } | Should -Throw -ErrorId 'MirrorConfigInvalid*'
    }

    It 'completes pair names after -Name' {
        $line = "Get-MirrorPair -Path '$($fixture.Config)' -Name ot"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be 'other'
    }
}

Describe 'Compare-MirrorRef' -Skip:(-not $has['Compare-MirrorRef']) {
    BeforeAll {
        $fixture = New-MirrorFixture 'compare'
        $main = Add-Commit -Bare $fixture.GitHub
    }

    It 'reports a branch that exists on GitHub only, and changes nothing' {
        $comparison = Get-MirrorPair -Path $fixture.Config -Name 'myorg/repo1' | Compare-MirrorRef
        $mainRef = $comparison | Where-Object Ref -EQ 'refs/heads/main'
        $mainRef.Status | Should -Be 'GitHubOnly'
        $mainRef.GitHubSha | Should -Be $main
        $mainRef.GitLabSha | Should -BeNullOrEmpty
        Get-RefSha $fixture.GitLab 'refs/heads/main' | Should -BeNullOrEmpty
    }
}

Describe 'Sync-MirrorPair' -Skip:(-not $has['Sync-MirrorPair']) {
    BeforeAll {
        $fixture = New-MirrorFixture 'sync'
        $main = Add-Commit -Bare $fixture.GitHub
        $feature = Add-Commit -Bare $fixture.GitLab -Branch 'feature'
    }

    It 'changes nothing under -WhatIf' {
        Sync-MirrorPair -All -Path $fixture.Config -WhatIf
        Get-RefSha $fixture.GitLab 'refs/heads/main' | Should -BeNullOrEmpty
    }

    It 'copies each side''s branches to the other and exits 0' {
        $result = Sync-MirrorPair -Name 'myorg/repo1' -Path $fixture.Config
        $result.Status | Should -Be 'Synced'
        Get-RefSha $fixture.GitLab 'refs/heads/main' | Should -Be $main
        Get-RefSha $fixture.GitHub 'refs/heads/feature' | Should -Be $feature
        $GitMirrorSyncExitCode | Should -Be 0
    }

    It 'fast-forwards the side that is behind' {
        $next = Add-Commit -Bare $fixture.GitLab -From $main
        (Sync-MirrorPair -All -Path $fixture.Config | Where-Object PairName -EQ 'myorg/repo1').Status | Should -Be 'Synced'
        Get-RefSha $fixture.GitHub 'refs/heads/main' | Should -Be $next
    }

    It 'is UpToDate when nothing changed' {
        (Sync-MirrorPair -Name 'myorg/repo1' -Path $fixture.Config).Status | Should -Be 'UpToDate'
    }
}

Describe 'Divergence: halt, compare, repair' -Skip:(-not ($has['Sync-MirrorPair'] -and $has['Repair-MirrorDivergence'])) {
    BeforeAll {
        $fixture = New-MirrorFixture 'diverge'
        $base = Add-Commit -Bare $fixture.GitHub
        Sync-MirrorPair -All -Path $fixture.Config | Out-Null
        $onGitHub = Add-Commit -Bare $fixture.GitHub -From $base
        $onGitLab = Add-Commit -Bare $fixture.GitLab -From $base
    }

    It 'halts the pair, writes MirrorRefDiverged and exits 1' {
        $result = Sync-MirrorPair -Name 'myorg/repo1' -Path $fixture.Config -ErrorVariable syncErrors -ErrorAction SilentlyContinue
        $result.Status | Should -Be 'Halted'
        $result.DivergedRefs | Should -Be 'refs/heads/main'
        $syncErrors.FullyQualifiedErrorId | Should -BeLike 'MirrorRefDiverged*'
        $GitMirrorSyncExitCode | Should -Be 1
        Get-RefSha $fixture.GitLab 'refs/heads/main' | Should -Be $onGitLab
    }

    It 'lists exactly the diverged ref' {
        $diverged = Get-MirrorPair -Path $fixture.Config -Name 'myorg/repo1' | Compare-MirrorRef | Where-Object Diverged
        $diverged.Ref | Should -Be 'refs/heads/main'
        $diverged.GitHubAheadBy | Should -Be 1
        $diverged.GitLabAheadBy | Should -Be 1
    }

    It 'makes GitHub win and keeps GitLab''s commit in a backup branch' {
        $repair = Get-MirrorPair -Path $fixture.Config -Name 'myorg/repo1' | Compare-MirrorRef | Where-Object Diverged |
            Repair-MirrorDivergence -Prefer GitHub -Confirm:$false
        $repair.Succeeded | Should -BeTrue
        $repair.BackupRef | Should -BeLike 'refs/heads/gitmirror/backup/*/main'
        Get-RefSha $fixture.GitLab 'refs/heads/main' | Should -Be $onGitHub
        Get-RefSha $fixture.GitLab $repair.BackupRef | Should -Be $onGitLab
    }

    It 'syncs again after the repair' {
        (Sync-MirrorPair -Name 'myorg/repo1' -Path $fixture.Config).Status | Should -BeIn 'Synced', 'UpToDate'
        $GitMirrorSyncExitCode | Should -Be 0
    }
}

Describe 'Remove-MirrorRef' -Skip:(-not ($has['Sync-MirrorPair'] -and $has['Remove-MirrorRef'])) {
    BeforeAll {
        $fixture = New-MirrorFixture 'remove'
        $main = Add-Commit -Bare $fixture.GitHub
        $null = Add-Commit -Bare $fixture.GitHub -Branch 'old' -From $main
        Sync-MirrorPair -All -Path $fixture.Config | Out-Null
    }

    It 'deletes the branch on both sides, and the next sync does not restore it' {
        Remove-MirrorRef -Name 'myorg/repo1' -Ref 'refs/heads/old' -Path $fixture.Config -Confirm:$false
        Sync-MirrorPair -All -Path $fixture.Config | Out-Null
        Get-RefSha $fixture.GitHub 'refs/heads/old' | Should -BeNullOrEmpty
        Get-RefSha $fixture.GitLab 'refs/heads/old' | Should -BeNullOrEmpty
    }

    It 'changes nothing under -WhatIf' {
        Remove-MirrorRef -Name 'myorg/repo1' -Ref 'refs/heads/main' -Path $fixture.Config -WhatIf
        Get-RefSha $fixture.GitLab 'refs/heads/main' | Should -Be $main
    }
}

Describe 'Get-MirrorStatus' -Skip:(-not ($has['Sync-MirrorPair'] -and $has['Get-MirrorStatus'])) {
    BeforeAll {
        $fixture = New-MirrorFixture 'status'
        $null = Add-Commit -Bare $fixture.GitHub
    }

    It 'has no status for a pair that never ran' {
        $status = Get-MirrorStatus -Path $fixture.Config -Name 'other'
        $status.Status | Should -BeNullOrEmpty
        $status.Healthy | Should -BeFalse
    }

    It 'records the last sync as healthy' {
        Sync-MirrorPair -Name 'myorg/repo1' -Path $fixture.Config | Out-Null
        $status = Get-MirrorStatus -Path $fixture.Config -Name 'myorg/repo1'
        $status.Status | Should -Be 'Synced'
        $status.Healthy | Should -BeTrue
        $status.ConsecutiveFailures | Should -Be 0
    }
}

Describe 'Initialize-MirrorBootstrap' -Skip:(-not $has['Initialize-MirrorBootstrap']) {
    BeforeAll { $fixture = New-MirrorFixture 'bootstrap' }

    # Its steps talk to the forges' APIs; the engine's tests cover them against fakes.
    It 'rejects an unknown visibility before doing anything' {
        { Initialize-MirrorBootstrap -All -Path $fixture.Config -Visibility Secret -ErrorAction Stop } | Should -Throw
    }

    It 'takes the bot users from the environment by default' {
        (Get-Help Initialize-MirrorBootstrap -Parameter GitHubBotUser).defaultValue | Should -Be '$env:MIRROR_BOT_USER_GITHUB'
    }
}

Describe 'Help' {
    It 'has a synopsis and at least two examples for <_>' -ForEach @(Get-Command -Module GitMirror).Name {
        $help = Get-Help $_ -Full
        $help.Synopsis | Should -Not -BeLike "$_*"
        @($help.examples.example).Count | Should -BeGreaterOrEqual 2
    }

    It 'has the about_GitMirror topic with the divergence runbook' {
        Get-Help about_GitMirror | Out-String | Should -Match 'DIVERGENCE RUNBOOK'
    }
}
