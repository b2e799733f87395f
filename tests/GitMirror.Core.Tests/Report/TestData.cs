namespace GitMirror.Core.Tests.Report;

/// <summary>Result objects as Sync-MirrorPair makes them.</summary>
internal static class TestData
{
    public static MirrorPair Pair(string name = "myorg/repo1") => new()
    {
        Name = name,
        GitHub = name,
        GitLab = name,
        GitHubUrl = $"https://github.com/{name}.git",
        GitLabUrl = $"https://gitlab.com/{name}.git",
        ConfigPath = "/cfg/repos.yaml",
        CachePath = "/cache",
    };

    public static MirrorSyncResult Result(MirrorSyncStatus status, DateTimeOffset start, string name = "myorg/repo1",
        string? error = null, string[]? diverged = null, MirrorRefUpdate[]? updates = null) => new()
        {
            Pair = Pair(name),
            Status = status,
            StartTime = start,
            Duration = TimeSpan.FromMilliseconds(1234),
            Error = error,
            DivergedRefs = diverged ?? [],
            Updates = updates ?? [],
        };
}

/// <summary>Keeps what the engine logs, to assert on warnings.</summary>
internal sealed class ListLog : IMirrorLog
{
    private readonly List<string> _verbose = [];
    private readonly List<string> _warnings = [];

    public IReadOnlyList<string> VerboseLines { get { lock (_verbose) return _verbose.ToList(); } }

    public IReadOnlyList<string> Warnings { get { lock (_warnings) return _warnings.ToList(); } }

    public void Verbose(string message) { lock (_verbose) _verbose.Add(message); }

    public void Warning(string message) { lock (_warnings) _warnings.Add(message); }
}
