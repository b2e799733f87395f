# GitMirror's root module. It loads the cmdlet assembly, Core and every package into a private
# AssemblyLoadContext, so another module's YamlDotNet or Octokit never meets ours. Only Core
# cmdlets and .NET are used here: this also runs in hosted runspaces that lack the Utility module.

$binPath = [System.IO.Path]::Combine($PSScriptRoot, 'bin')
if (-not ('GitMirror.LoadContext.ModuleLoadContext' -as [type])) {
    $null = [System.Reflection.Assembly]::LoadFrom([System.IO.Path]::Combine($PSScriptRoot, 'GitMirror.LoadContext.dll'))
}
$cmdletAssembly = [GitMirror.LoadContext.ModuleLoadContext]::Initialize($binPath, 'GitMirror')

$importModule = Get-Command -Name Import-Module -Module Microsoft.PowerShell.Core
$innerModule = & $importModule -Assembly $cmdletAssembly -Force -PassThru

# Re-importing a binary module from an already loaded assembly leaves the outer module without
# cmdlets (PowerShell issue 20710): export the inner module's cmdlets from this one explicitly.
if ($innerModule) {
    $addExportedCmdlet = [System.Management.Automation.PSModuleInfo].GetMethod(
        'AddExportedCmdlet', [System.Reflection.BindingFlags]'Instance, NonPublic')
    foreach ($cmd in $innerModule.ExportedCmdlets.Values) {
        $addExportedCmdlet.Invoke($ExecutionContext.SessionState.Module, @(, $cmd))
    }
}
