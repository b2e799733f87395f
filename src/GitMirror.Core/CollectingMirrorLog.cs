using System.Collections.Concurrent;

namespace GitMirror.Core;

/// <summary>Keeps messages from any thread, in order, for a caller that may write only from one thread (a cmdlet's pipeline thread).</summary>
public sealed class CollectingMirrorLog : IMirrorLog
{
    private readonly ConcurrentQueue<(bool Warning, string Message)> _messages = new();

    public void Verbose(string message) => _messages.Enqueue((false, message));

    public void Warning(string message) => _messages.Enqueue((true, message));

    /// <summary>Hands the messages kept so far to the writers, oldest first, and forgets them.</summary>
    public void Replay(Action<string> verbose, Action<string> warning)
    {
        while (_messages.TryDequeue(out var item)) (item.Warning ? warning : verbose)(item.Message);
    }
}
