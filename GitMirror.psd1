@{
    RootModule           = 'GitMirror.psm1'
    ModuleVersion        = '0.1.0'
    GUID                 = '6f1e7f3c-2b6d-4c8e-9a53-2d0c6f6a9b41'
    Author               = 'GitMirror contributors'
    CompanyName          = 'GitMirror'
    Copyright            = '(c) GitMirror contributors. MIT License.'
    Description          = 'Two-way, fast-forward-only mirroring of GitHub and GitLab repositories: every branch and tag, never deleting, never overwriting; diverged pairs halt and are repaired without losing either side.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    # The public objects load into the default context so format views and other modules see one type identity.
    RequiredAssemblies   = @('GitMirror.Model.dll')
    FormatsToProcess     = @('GitMirror.Format.ps1xml')
    CmdletsToExport      = @(
        'Get-MirrorPair'
        'Compare-MirrorRef'
        'Sync-MirrorPair'
        'Initialize-MirrorBootstrap'
        'Repair-MirrorDivergence'
        'Remove-MirrorRef'
        'Get-MirrorStatus'
        'Get-MirrorCredential'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('git', 'mirror', 'github', 'gitlab', 'sync', 'replication', 'PSEdition_Core', 'Linux', 'MacOS', 'Windows')
            ProjectUri   = 'https://github.com/gitmirror/gitmirror'
            LicenseUri   = 'https://github.com/gitmirror/gitmirror/blob/main/LICENSE'
            ReleaseNotes = 'First release: two-way fast-forward-only mirroring (Sync-MirrorPair, Compare-MirrorRef), divergence repair with backups (Repair-MirrorDivergence, Remove-MirrorRef), unattended runs (locks, shards, JSON logs, status, metrics), bootstrap with CI templates, and the gitmirror host.'
        }
    }
}
