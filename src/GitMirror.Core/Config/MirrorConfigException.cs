namespace GitMirror.Core.Config;

/// <summary>A repos.yaml that cannot be used, with where and what.</summary>
public sealed class MirrorConfigException : Exception
{
    public MirrorConfigException(string filePath, int line, int column, string? key, string problem, Exception? inner = null)
        : base(Format(filePath, line, column, key, problem), inner)
    {
        FilePath = filePath;
        Line = line;
        Column = column;
        Key = key;
        Problem = problem;
    }

    public string FilePath { get; }

    /// <summary>1-based line, 0 when the problem is the file as a whole.</summary>
    public int Line { get; }

    public int Column { get; }

    /// <summary>The offending key (e.g. <c>repos[2].gitlab</c>), when there is one.</summary>
    public string? Key { get; }

    public string Problem { get; }

    private static string Format(string filePath, int line, int column, string? key, string problem)
    {
        var where = line > 0 ? $"{filePath}:{line}:{column}" : filePath;
        return key is null ? $"{where}: {problem}" : $"{where}: {key}: {problem}";
    }
}
