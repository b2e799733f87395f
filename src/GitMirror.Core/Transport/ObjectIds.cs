namespace GitMirror.Core.Transport;

/// <summary>git object ids as text.</summary>
internal static class ObjectIds
{
    /// <summary>The SHA-1 null id: "no value" in a ref update (the ref must not exist before, or is gone after).</summary>
    public const string Sha1Zero = "0000000000000000000000000000000000000000";

    /// <summary>A full SHA-1 or SHA-256 object id in git's lower-case hex.</summary>
    public static bool IsObjectId(string text) => text.Length is 40 or 64 && text.All(char.IsAsciiHexDigitLower);

    public static bool IsSha1(string text) => text.Length == 40 && IsObjectId(text);
}
