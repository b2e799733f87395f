using System.Management.Automation;
using GitMirror.Core.Forges;
using GitMirror.Core.Report;

namespace GitMirror.Commands;

/// <summary>
/// Asks GitHub and GitLab about the credentials the config gives GitMirror: whose they are, their
/// scopes, when they expire and whether they still work. One MirrorCredential per forge; a refused,
/// missing or expired credential is also an error record (MirrorCredentialInvalid). The answer is
/// kept in the cache, where Get-MirrorStatus reads it.
/// </summary>
[Cmdlet(VerbsCommon.Get, "MirrorCredential", HelpUri = HelpUris.Docs + "Get-MirrorCredential.md")]
[OutputType(typeof(MirrorCredential))]
public sealed class GetMirrorCredentialCommand : MirrorCommandBase
{
    protected override void EndProcessing()
    {
        var config = LoadConfig();
        IReadOnlyList<MirrorCredential> credentials = [];
        RunPumped(async ct =>
        {
            credentials = await CredentialProbe.ProbeAllAsync(config, ct).ConfigureAwait(false);
            // A scheduled Get-MirrorCredential is how cron-only installations hear of an expiring token.
            await Core.Service.CredentialWatch.TellExpiringAsync(config, credentials, Log, ct).ConfigureAwait(false);
        });
        try
        {
            new CredentialStatus(config.CachePath, Log).Record(credentials, DateTimeOffset.UtcNow);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            WriteWarning($"Could not keep the credential check in the cache ({config.CachePath}): {e.Message}");
        }
        foreach (var credential in credentials)
        {
            WriteObject(credential);
            if (!credential.Valid)
            {
                WriteError(new ErrorRecord(new InvalidOperationException($"{credential.Forge}: {credential.Message}"), "MirrorCredentialInvalid",
                    ErrorCategory.AuthenticationError, credential.Forge)
                {
                    ErrorDetails = new ErrorDetails($"{credential.Forge}: {credential.Message}")
                    {
                        RecommendedAction = "Give GitMirror a working credential for this forge (see the message), then run Get-MirrorCredential again.",
                    },
                });
            }
        }
    }
}
