namespace GitMirror.Testing;

/// <summary>
/// GITMIRROR_AFTER_XFER=1 turns on checks of behaviour that depends on the git CLI transfers being
/// built on branch xfer (issue 10 items 1, 4 and 5): tags on trees and blobs, the server's own words
/// for a refused push (GitHub's GH013 rule-set message; libgit2 reports only "hook declined"), and
/// resolving x vs x/y once the cache has fetched x/y (libgit2 keeps refs/remotes/&lt;side&gt;/x/y and
/// then fails every push of x). Off until xfer is merged; then turned on and this switch removed.
/// </summary>
public static class AfterXfer
{
    public static bool Enabled { get; } = Environment.GetEnvironmentVariable("GITMIRROR_AFTER_XFER") == "1";
}
