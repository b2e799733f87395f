namespace GitMirror;

/// <summary>
/// Text for the default table views (GitMirror.Format.ps1xml). Pair and ref names that share a
/// long prefix (platform-team/payments-service-backend and -frontend) differ at their end, so a
/// name too long for its column loses characters from its middle, never its end.
/// </summary>
public static class MirrorDisplay
{
    private const char Ellipsis = '\u2026';

    /// <summary>
    /// <paramref name="value"/> as is when it fits <paramref name="width"/> characters; otherwise a
    /// third of the room for its start and the rest for its end, joined by an ellipsis.
    /// </summary>
    public static string? Fit(string? value, int width)
    {
        if (value is null || value.Length <= width || width < 3) return value;
        var head = (width - 1) / 3;
        return value[..head] + Ellipsis + value[^(width - 1 - head)..];
    }
}
