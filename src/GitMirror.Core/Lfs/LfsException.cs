namespace GitMirror.Core.Lfs;

/// <summary>Why LFS objects could not be checked or copied; the message names the side, the object and the reason.</summary>
public sealed class LfsException : Exception
{
    public LfsException(string message, Exception? inner = null, int? statusCode = null)
        : base(Report.ServerText.Printable(Report.ProcessSecrets.Scrub(message)), inner)
    {
        StatusCode = statusCode;
    }

    /// <summary>The HTTP status the server answered, when it answered.</summary>
    public int? StatusCode { get; }
}
