#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# What a person does with GitMirror at a pwsh prompt: the README's examples, -WhatIf, -Confirm
# answered on stdin, -ErrorAction Stop, $Error[0], JSON and CSV export, formatting at 80 and 120
# columns, re-import; and the scheduled script and build.ps1 as cron and a developer run them.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Fixtures.ps1')
    $pwsh = Get-PwshCommand

    # Runs a command line in a new pwsh with stdin (prompt answers) and stdout/stderr redirected,
    # as cron or a pipe would; returns its exit code and what it wrote.
    function Invoke-Pwsh {
        param([string[]] $Arguments, [string] $Stdin = '', [string] $WorkingDirectory = $TestDrive)
        $psi = [System.Diagnostics.ProcessStartInfo]::new($pwsh[0])
        foreach ($a in @($pwsh | Select-Object -Skip 1) + @('-NoProfile') + $Arguments) { $psi.ArgumentList.Add($a) }
        $psi.WorkingDirectory = $WorkingDirectory
        $psi.RedirectStandardInput = $psi.RedirectStandardOutput = $psi.RedirectStandardError = $true
        $process = [System.Diagnostics.Process]::Start($psi)
        $process.StandardInput.Write($Stdin)
        $process.StandardInput.Close()
        $stdout = $process.StandardOutput.ReadToEndAsync()
        $stderr = $process.StandardError.ReadToEndAsync()
        if (-not $process.WaitForExit(120000)) { $process.Kill($true); throw "pwsh $Arguments did not finish" }
        [pscustomobject]@{ ExitCode = $process.ExitCode; Stdout = $stdout.Result; Stderr = $stderr.Result }
    }

    $fixture = New-MirrorFixture 'interactive'
    $main = Add-Commit -Bare $fixture.GitHub
    $null = Add-Commit -Bare $fixture.GitHub -Branch 'feature/login' -From $main
    Invoke-Git -C $fixture.GitHub tag v1.0 $main
}

Describe 'The README examples, as written' {
    BeforeAll {
        Push-Location $fixture.Root # where ./repos.yaml is, as the examples assume
        Sync-MirrorPair -All | Out-Null
        $log = Join-Path $TestDrive 'gitmirror.jsonl'
    }
    AfterAll { Pop-Location }

    It 'Get-MirrorPair | Compare-MirrorRef | Where-Object Diverged lists nothing when in sync' {
        @(Get-MirrorPair | Compare-MirrorRef | Where-Object Diverged) | Should -HaveCount 0
    }

    It 'Sync-MirrorPair -All -ThrottleLimit 8 -LogPath FILE writes one line per pair' {
        Sync-MirrorPair -All -ThrottleLimit 8 -LogPath $log | Out-Null
        $lines = Get-Content $log | ConvertFrom-Json
        # The log is a record in time: lines come as pairs finish, whatever the config order.
        @($lines | Where-Object action -EQ 'sync').pair | Sort-Object | Should -Be 'myorg/repo1', 'other'
    }

    It 'Get-MirrorStatus | Where-Object -not Healthy lists nothing after a clean run' {
        @(Get-MirrorStatus | Where-Object -not Healthy) | Should -HaveCount 0
    }

    It 'Compare-MirrorRef -Path repos.yaml | Where-Object Status -ne InSync lists nothing' {
        @(Compare-MirrorRef -Path repos.yaml | Where-Object Status -ne InSync) | Should -HaveCount 0
    }

    It "Compare-MirrorRef PAIR -Ref 'v*' shows only the release tags" {
        (Compare-MirrorRef myorg/repo1 -Ref 'v*').Name | Should -Be 'v1.0'
    }

    It 'Sync-MirrorPair PAIR, PAIR | ForEach-Object Updates shows what was pushed' {
        $null = Add-Commit -Bare $fixture.GitLab -From $main -Branch 'docs'
        $updates = Sync-MirrorPair myorg/repo1, other | ForEach-Object Updates
        $updates.Ref | Should -Be 'refs/heads/docs'
        $updates.Target | Should -Be 'GitHub'
    }

    It 'Remove-MirrorRef -Name PAIR -Ref BRANCH -WhatIf changes nothing' {
        Remove-MirrorRef -Name myorg/repo1 -Ref docs -WhatIf
        Get-RefSha $fixture.GitHub 'refs/heads/docs' | Should -Not -BeNullOrEmpty
    }

    It 'every powershell block of the README parses' {
        $readme = Get-Content (Join-Path $PSScriptRoot '../../README.md') -Raw
        $blocks = [regex]::Matches($readme, '(?s)```powershell\r?\n(.*?)```') | ForEach-Object { $_.Groups[1].Value }
        $blocks.Count | Should -BeGreaterThan 5
        foreach ($block in $blocks) {
            $errors = $null
            $null = [System.Management.Automation.Language.Parser]::ParseInput($block, [ref] $null, [ref] $errors)
            $errors | Should -BeNullOrEmpty -Because $block
        }
    }
}

Describe 'Errors as a pwsh user inspects them' {
    BeforeAll {
        $diverged = New-MirrorFixture 'errors'
        $base = Add-Commit -Bare $diverged.GitHub
        Sync-MirrorPair -All -Path $diverged.Config | Out-Null
        $null = Add-Commit -Bare $diverged.GitHub -From $base
        $null = Add-Commit -Bare $diverged.GitLab -From $base
    }

    It '-ErrorAction Stop turns a diverged ref into a terminating error with its ErrorId' {
        { Sync-MirrorPair -Name myorg/repo1 -Path $diverged.Config -ErrorAction Stop } | Should -Throw -ErrorId 'MirrorRefDiverged*'
        $GitMirrorSyncExitCode | Should -Be 1
    }

    It '$Error[0] holds the ErrorId, category, target ref and what to do next' {
        $Error.Clear()
        Sync-MirrorPair -Name myorg/repo1 -Path $diverged.Config -ErrorAction SilentlyContinue | Out-Null
        $record = $Error[0]
        $record.FullyQualifiedErrorId | Should -Be 'MirrorRefDiverged,GitMirror.Commands.SyncMirrorPairCommand'
        $record.CategoryInfo.Category | Should -Be 'InvalidData'
        $record.TargetObject.Ref | Should -Be 'refs/heads/main'
        $record.TargetObject.GetType().FullName | Should -Be 'GitMirror.MirrorRefComparison'
        $record.ErrorDetails.RecommendedAction | Should -Match 'Repair-MirrorDivergence'
        $record.InvocationInfo.MyCommand.Name | Should -Be 'Sync-MirrorPair'
    }

    It 'a try/catch sees a bad config as MirrorConfigInvalid naming file and line' {
        $bad = Join-Path $TestDrive 'bad.yaml'
        Set-Content $bad "version: 1`nrepos:`n  - github: a/b`n    gitlab: c/d`n    colour: blue`n"
        try { Get-MirrorPair -Path $bad -ErrorAction Stop; throw 'no error' }
        catch { $_.FullyQualifiedErrorId | Should -BeLike 'MirrorConfigInvalid*'; "$_" | Should -Match 'bad.yaml:5:5' }
    }

    It 'Repair-MirrorDivergence -WhatIf changes nothing' {
        $before = Get-RefSha $diverged.GitLab 'refs/heads/main'
        Compare-MirrorRef -Path $diverged.Config | Where-Object Diverged | Repair-MirrorDivergence -Prefer GitHub -WhatIf
        Get-RefSha $diverged.GitLab 'refs/heads/main' | Should -Be $before
    }
}

Describe 'Export and formatting' {
    BeforeAll { Sync-MirrorPair -All -Path $fixture.Config | Out-Null }

    It 'ConvertTo-Json -EnumsAsStrings gives names, not numbers' {
        $json = Get-MirrorStatus -Path $fixture.Config -Name myorg/repo1 | ConvertTo-Json -EnumsAsStrings | ConvertFrom-Json
        $json.Status | Should -BeIn 'Synced', 'UpToDate'
        $json.Healthy | Should -BeTrue
        $ref = Compare-MirrorRef -Path $fixture.Config -Ref main | ConvertTo-Json -EnumsAsStrings -Depth 3 | ConvertFrom-Json
        $ref.Status | Should -Be 'InSync'
        $ref.Kind | Should -Be 'Branch'
        $ref.Pair.OnDivergence | Should -Be 'HaltPair'
    }

    It 'Export-Csv and Import-Csv round-trip the status' {
        $csv = Join-Path $TestDrive 'status.csv'
        Get-MirrorStatus -Path $fixture.Config | Export-Csv -Path $csv
        $rows = Import-Csv $csv
        $rows.PairName | Should -Be 'myorg/repo1', 'other'
        $rows[0].Healthy | Should -Be 'True'
    }

    It 'fits <_> columns with every column of the view' -ForEach 80, 120 {
        $width = $_
        $text = Compare-MirrorRef -Path $fixture.Config | Out-String -Width $width
        # Grouped under each pair's full name, the ref columns below it.
        $text | Should -Match 'Pair: myorg/repo1'
        $text | Should -Match 'Name\s+Kind\s+Status\s+GitHubSha GitLabSha\s+Ahead'
        $status = Get-MirrorStatus -Path $fixture.Config | Out-String -Width $width
        $status | Should -Match 'Failures Problem'
        foreach ($line in ($text + $status) -split "`n") { $line.TrimEnd().Length | Should -BeLessOrEqual $width }
    }

    It 'Format-List shows the details a table leaves out' {
        $text = Compare-MirrorRef -Path $fixture.Config -Ref main | Format-List | Out-String
        $text | Should -Match 'GitHubSha\s+: [0-9a-f]{40}'
        $text | Should -Match 'MergeBase'
    }
}

Describe 'Re-import' {
    It 'Import-Module -Force again, and Remove-Module then Import-Module, leave working commands' {
        Import-Module $ModuleManifest -Force
        (Get-MirrorPair -Path $fixture.Config).Count | Should -Be 2
        Remove-Module GitMirror
        Import-Module $ModuleManifest
        (Get-MirrorPair -Path $fixture.Config)[0] | Should -BeOfType ([GitMirror.MirrorPair])
        @(Get-Module GitMirror).Count | Should -Be 1
    }
}

Describe 'In another pwsh, as people and schedulers start it' {
    It '-Confirm answered No on stdin pushes nothing' {
        $confirm = New-MirrorFixture 'confirm'
        $null = Add-Commit -Bare $confirm.GitHub
        $run = Invoke-Pwsh -Stdin "n`n" -Arguments '-Command', "Import-Module '$ModuleManifest'; Sync-MirrorPair -Name myorg/repo1 -Path '$($confirm.Config)' -Confirm | ForEach-Object Status"
        $run.Stdout | Should -Match 'Push refs/heads/main'
        $run.Stdout.Trim() | Should -Match 'Skipped$'
        Get-RefSha $confirm.GitLab 'refs/heads/main' | Should -BeNullOrEmpty
    }

    It 'the scheduled script writes plain text 120 columns wide to a log, and exits 3 on a bad argument' {
        $sched = New-MirrorFixture 'scheduled'
        $base = Add-Commit -Bare $sched.GitHub
        Sync-MirrorPair -All -Path $sched.Config | Out-Null
        $null = Add-Commit -Bare $sched.GitHub -From $base
        $null = Add-Commit -Bare $sched.GitLab -From $base
        $script = Join-Path $PSScriptRoot '../../scripts/Invoke-GitMirrorSync.ps1'

        $run = Invoke-Pwsh -Arguments '-NonInteractive', '-File', $script, '-Path', $sched.Config, '-ModulePath', $ModuleManifest
        $run.ExitCode | Should -Be 1 -Because $run.Stderr
        "$($run.Stdout)$($run.Stderr)" | Should -Not -Match "`e"
        $row = $run.Stdout -split "`n" | Where-Object { $_ -match '^myorg/repo1\s+Halted' }
        $row | Should -Match 'diverged: refs/heads/main\s*$' # the Error column, past column 80
        $row.TrimEnd().Length | Should -BeGreaterThan 80

        (Invoke-Pwsh -Arguments '-NonInteractive', '-File', $script, '-Bogus', '1').ExitCode | Should -Be 3
    }

    It 'build.ps1 Daemon runs the sync in a child pwsh even when pwsh is a .NET tool, with its exit code' {
        $daemon = New-MirrorFixture 'daemon'
        $sha = Add-Commit -Bare $daemon.GitHub
        $run = Invoke-Pwsh -Arguments '-NonInteractive', '-File', (Join-Path $PSScriptRoot '../../build.ps1'), 'Daemon', '-ConfigPath', $daemon.Config
        $run.ExitCode | Should -Be 0 -Because "$($run.Stdout)$($run.Stderr)"
        Get-RefSha $daemon.GitLab 'refs/heads/main' | Should -Be $sha
    }

    It 'a script that runs in pwsh prints the same under gitmirror -File' {
        $hostDll = Get-HostDll
        if (-not $hostDll) { Set-ItResult -Skipped -Because 'src/GitMirror.Host is not built' ; return }
        $script = Join-Path $TestDrive 'report.ps1'
        Set-Content $script @'
param([string] $Config)
$pairs = Get-MirrorPair -Path $Config
$pairs | Sort-Object Name -Descending | Select-Object Name, GitHub | Format-Table -AutoSize
$pairs | Select-Object -First 1 -Property Name, OnDivergence | ConvertTo-Json -Compress -EnumsAsStrings
(Get-Date -Year 2024 -Month 2 -Day 29).ToString('yyyy-MM-dd')
Write-Progress -Activity 'report' -Completed
'@
        $inPwsh = Invoke-Pwsh -Arguments '-NonInteractive', '-Command', "`$PSStyle.OutputRendering = 'PlainText'; Import-Module '$ModuleManifest'; & '$script' -Config '$($fixture.Config)'"
        $psi = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
        foreach ($a in $hostDll, '-File', $script, '-Config', $fixture.Config) { $psi.ArgumentList.Add($a) }
        $psi.RedirectStandardOutput = $psi.RedirectStandardError = $true
        $process = [System.Diagnostics.Process]::Start($psi)
        $inHost = $process.StandardOutput.ReadToEnd()
        $hostErrors = $process.StandardError.ReadToEnd()
        $process.WaitForExit()

        $process.ExitCode | Should -Be 0 -Because $hostErrors
        $inPwsh.ExitCode | Should -Be 0 -Because $inPwsh.Stderr
        ($inHost.Trim() -split '\r?\n') | Should -Be ($inPwsh.Stdout.Trim() -split '\r?\n')
        $inHost | Should -Match '\{"Name":"myorg/repo1","OnDivergence":"HaltPair"\}'
    }
}
