namespace GitMirror.Commands;

/// <summary>Where `Get-Help -Online` opens a cmdlet's page: its docs/&lt;cmdlet&gt;.md in the project's repository (the manifest's ProjectUri).</summary>
internal static class HelpUris
{
    public const string Docs = "https://github.com/gitmirror/gitmirror/blob/main/docs/";
}
