namespace GitMirror.Core.Report;

/// <summary>
/// Checks, before a run starts, that a file it will write at the end (the JSON log, the metrics)
/// can be written, so a bad -LogPath or -MetricsPath stops the run before any push instead of
/// failing after it. Creates nothing that stays.
/// </summary>
public static class OutputFile
{
    /// <summary>Why <paramref name="fullPath"/> cannot be written, or null when it can.</summary>
    public static string? Problem(string fullPath)
    {
        if (Directory.Exists(fullPath)) return "it is a directory";
        var directory = Path.GetDirectoryName(fullPath);
        if (string.IsNullOrEmpty(directory)) return "it has no directory";
        if (!Directory.Exists(directory)) return $"the directory {directory} does not exist";
        try
        {
            if (File.Exists(fullPath))
            {
                using (new FileStream(fullPath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
                {
                }
            }
            // Both writers create files next to the target (the metrics a temporary file to rename).
            var probe = Path.Combine(directory, $".gitmirror-probe-{Guid.NewGuid():N}");
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"it cannot be written ({e.Message})";
        }
    }
}
