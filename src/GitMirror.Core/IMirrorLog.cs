namespace GitMirror.Core;

/// <summary>Where the engine tells what it does: the cmdlets map it to Verbose and Warning.</summary>
public interface IMirrorLog
{
    void Verbose(string message);

    void Warning(string message);
}

/// <summary>A log that drops everything.</summary>
public sealed class NullMirrorLog : IMirrorLog
{
    public static NullMirrorLog Instance { get; } = new();

    public void Verbose(string message)
    {
    }

    public void Warning(string message)
    {
    }
}
