namespace GitMirror.Host;

/// <summary>Finds the GitMirror module the host imports.</summary>
internal static class ModuleLocator
{
    public const string EnvironmentVariable = "GITMIRROR_MODULE_PATH";

    /// <summary>
    /// The module copied next to the host by the build (and into the tool package) comes first, so a
    /// host always runs the module it was built with; $GITMIRROR_MODULE_PATH (the folder or its .psd1)
    /// serves a host copied somewhere without it. Null when neither exists.
    /// </summary>
    public static string? Find()
    {
        var bundled = Path.Combine(AppContext.BaseDirectory, "Modules", "GitMirror", "GitMirror.psd1");
        if (File.Exists(bundled)) return bundled;
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(configured)) return null;
        var manifest = Directory.Exists(configured) ? Path.Combine(configured, "GitMirror.psd1") : configured;
        return File.Exists(manifest) ? Path.GetFullPath(manifest) : null;
    }
}
