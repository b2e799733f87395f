<#
.SYNOPSIS
    The scheduled GitMirror run: syncs every pair of repos.yaml and exits with the run's exit code.

.DESCRIPTION
    Runs `Sync-MirrorPair -All` with the options given here (and only those, so the cmdlet's own
    defaults apply to the rest), prints one result row per pair, writes an error record per diverged
    ref or failed pair to stderr, and exits with:
        0  every pair UpToDate, Synced or Skipped (another run holds its lock)
        1  some pair has diverged refs (Halted, or skipped under skip-ref), none failed
        2  some pair failed
        3  bad configuration or usage: nothing ran
    Tokens come from the environment variables repos.yaml names (GITHUB_TOKEN, GITLAB_TOKEN by
    default): put them in the scheduler's environment, never on the command line.

    The GitMirror module is imported from -ModulePath, else from ../out/GitMirror next to this
    script, unless it is loaded already (as it is under the `gitmirror` host). It runs the same in
    pwsh 7.4+ and in `gitmirror`. When stdout is not a terminal (cron, systemd) the table is plain
    text, 120 columns wide. An unknown argument or a value that is not a number is a usage error
    (exit 3), as in the host; anything unexpected exits 2, so 1 always means "a pair diverged".

.PARAMETER Path
    The repos.yaml to use. Default: $env:GITMIRROR_CONFIG, else ./repos.yaml.

.PARAMETER ThrottleLimit
    How many pairs to sync at once.

.PARAMETER Shard
    i/n: sync only this machine's share of the pairs (1 <= i <= n), stable across machines.

.PARAMETER LockTimeoutSec
    How long to wait for a pair that another run is syncing before skipping it.

.PARAMETER LogPath
    A JSON-lines log file to append to.

.PARAMETER MetricsPath
    A Prometheus text file to write the run's metrics to (for node_exporter's textfile collector).

.PARAMETER ModulePath
    The GitMirror module folder or manifest to import.

.EXAMPLE
    # cron, every 5 minutes (crontab of the mirror user; pwsh 7.4+ installed):
    */5 * * * * GITHUB_TOKEN=... GITLAB_TOKEN=... pwsh -NoProfile -NonInteractive -File /opt/gitmirror/scripts/Invoke-GitMirrorSync.ps1 -Path /etc/gitmirror/repos.yaml -LockTimeoutSec 30 -LogPath /var/log/gitmirror/sync.jsonl >> /var/log/gitmirror/cron.log 2>&1

    Without pwsh, the same through the host: `gitmirror -File /opt/gitmirror/scripts/Invoke-GitMirrorSync.ps1 -Path ...`.
    Better than inline tokens: `. /etc/gitmirror/env;` in front of the command, with that file readable by the mirror user only.

.EXAMPLE
    # systemd: /etc/systemd/system/gitmirror.service
    [Unit]
    Description=GitMirror sync of GitHub and GitLab
    Wants=network-online.target
    After=network-online.target

    [Service]
    Type=oneshot
    User=gitmirror
    EnvironmentFile=/etc/gitmirror/env
    Environment=GITMIRROR_CACHE=/var/cache/gitmirror
    ExecStart=/usr/bin/pwsh -NoProfile -NonInteractive -File /opt/gitmirror/scripts/Invoke-GitMirrorSync.ps1 -Path /etc/gitmirror/repos.yaml -LockTimeoutSec 30 -MetricsPath /var/lib/node_exporter/textfile/gitmirror.prom
    # 1 = a pair diverged: the run worked, a person has to look (alert on the metrics or the log).
    # The script exits 1 for nothing else: 2 = a pair failed, 3 = bad configuration or usage.
    SuccessExitStatus=1
    TimeoutStartSec=30min

    # /etc/systemd/system/gitmirror.timer
    [Unit]
    Description=Run GitMirror every 5 minutes

    [Timer]
    OnBootSec=2min
    OnUnitActiveSec=5min
    RandomizedDelaySec=30s

    [Install]
    WantedBy=timers.target

    # then: systemctl daemon-reload && systemctl enable --now gitmirror.timer

.EXAMPLE
    # Windows scheduled task, every 5 minutes, as a service account that holds the tokens in its environment:
    $action = New-ScheduledTaskAction -Execute 'pwsh.exe' -Argument '-NoProfile -NonInteractive -File C:\gitmirror\scripts\Invoke-GitMirrorSync.ps1 -Path C:\gitmirror\repos.yaml -LogPath C:\gitmirror\logs\sync.jsonl'
    $trigger = New-ScheduledTaskTrigger -Once -At (Get-Date) -RepetitionInterval (New-TimeSpan -Minutes 5)
    $settings = New-ScheduledTaskSettingsSet -MultipleInstances IgnoreNew -ExecutionTimeLimit (New-TimeSpan -Minutes 30)
    Register-ScheduledTask -TaskName 'GitMirror sync' -Action $action -Trigger $trigger -Settings $settings -User 'CONTOSO\svc-gitmirror' -Password $password

    Or with schtasks.exe: schtasks /Create /TN "GitMirror sync" /SC MINUTE /MO 5 /RU CONTOSO\svc-gitmirror /RP * /TR "pwsh.exe -NoProfile -NonInteractive -File C:\gitmirror\scripts\Invoke-GitMirrorSync.ps1 -Path C:\gitmirror\repos.yaml"
#>
[CmdletBinding()]
param(
    [string]$Path,
    # Numbers are taken as text and checked below: a bad value is a usage error (exit 3), where
    # pwsh's own parameter binding would exit 1, which reads as "a pair diverged".
    [string]$ThrottleLimit,
    [string]$Shard,
    [string]$LockTimeoutSec,
    [string]$LogPath,
    [string]$MetricsPath,
    [string]$ModulePath,
    # Anything else on the command line (a misspelled option): a usage error too.
    [Parameter(ValueFromRemainingArguments, DontShow)]
    [string[]]$UnknownArguments
)

$badUsage = 3
$failed = 2

# cron and systemd write a log, not a terminal: no colour codes, and the whole table at 120 columns.
$toTerminal = -not [Console]::IsOutputRedirected
if (-not $toTerminal -or [Console]::IsErrorRedirected) { $PSStyle.OutputRendering = 'PlainText' }

# Whatever else goes wrong is a failed run (2), never pwsh's 1, which means "a pair diverged".
trap {
    $PSCmdlet.WriteError($_)
    exit $failed
}

function Stop-Usage([string]$Message) {
    $PSCmdlet.WriteError([System.Management.Automation.ErrorRecord]::new(
            [System.ArgumentException]::new($Message), 'MirrorScriptUsage', 'InvalidArgument', $null))
    exit $badUsage
}

if ($UnknownArguments) {
    Stop-Usage "unknown argument(s): $($UnknownArguments -join ' '). Parameters: -Path, -ThrottleLimit, -Shard, -LockTimeoutSec, -LogPath, -MetricsPath, -ModulePath."
}
foreach ($name in 'ThrottleLimit', 'LockTimeoutSec') {
    $number = 0
    if ($PSBoundParameters.ContainsKey($name) -and -not [int]::TryParse($PSBoundParameters[$name], [ref]$number)) {
        Stop-Usage "-$name needs a whole number, not '$($PSBoundParameters[$name])'."
    }
}

try {
    if ($ModulePath) {
        Import-Module $ModulePath -ErrorAction Stop
    }
    elseif (-not (Get-Module -Name GitMirror)) {
        Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', 'out', 'GitMirror', 'GitMirror.psd1')) -ErrorAction Stop
    }
}
catch {
    $PSCmdlet.WriteError($_)
    exit $badUsage
}

# Only what was given: an option left out keeps the cmdlet's default.
$syncOptions = @{}
foreach ($name in 'Path', 'Shard', 'LogPath', 'MetricsPath') {
    if ($PSBoundParameters.ContainsKey($name)) { $syncOptions[$name] = $PSBoundParameters[$name] }
}
foreach ($name in 'ThrottleLimit', 'LockTimeoutSec') {
    if ($PSBoundParameters.ContainsKey($name)) { $syncOptions[$name] = [int]$PSBoundParameters[$name] }
}

# A code left by an earlier run in this session must not stand in for this one.
$global:GitMirrorSyncExitCode = $null
try {
    if ($toTerminal) {
        Sync-MirrorPair -All @syncOptions
    }
    else {
        Sync-MirrorPair -All @syncOptions | Out-String -Stream -Width 120
    }
}
catch {
    # A bad config (or a bad option) stops the command before anything runs.
    $PSCmdlet.WriteError($_)
}

# Unset when Sync-MirrorPair never started (an option it refused): that is a usage error too.
exit ($GitMirrorSyncExitCode ?? $badUsage)
