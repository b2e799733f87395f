using GitMirror.Core.Observe;

namespace GitMirror.Core.Lfs;

/// <summary>What a side says about one object when asked to download or to accept it.</summary>
public enum LfsObjectState
{
    /// <summary>The side holds it (upload: nothing to send).</summary>
    Present,

    /// <summary>The side lacks it and will accept it (upload).</summary>
    Wanted,

    /// <summary>The side holds it and offered a download (download).</summary>
    Available,

    /// <summary>The side does not hold it (download: 404 or 410).</summary>
    Missing,

    /// <summary>The side refused it: size limit, quota, validation; <see cref="LfsObjectAnswer.Error"/> says why.</summary>
    Refused,
}

/// <summary>One object's answer; <see cref="Action"/> is the store's own handle for the transfer.</summary>
public sealed record LfsObjectAnswer(LfsPointer Pointer, LfsObjectState State, string? Error = null, object? Action = null);

/// <summary>
/// One side's LFS objects: the batch API of an http(s) repository, or the <c>lfs/objects</c> folder
/// of a local one. Streams every object; none is ever held in memory whole.
/// </summary>
public abstract class LfsStore
{
    /// <summary>Objects per batch request: servers may refuse more (GitHub and GitLab accept 100).</summary>
    public const int BatchSize = 100;

    protected LfsStore(RemoteEndpoint endpoint)
    {
        Endpoint = endpoint;
    }

    public RemoteEndpoint Endpoint { get; }

    /// <summary>"GitLab (team/repo)".</summary>
    public string Description => Endpoint.Description;

    public static LfsStore For(RemoteEndpoint endpoint) =>
        endpoint.IsHttp ? new LfsHttpStore(endpoint) : new LfsLocalStore(endpoint);

    /// <summary>Asks which objects the side holds, offering them for upload: Present, Wanted or Refused.</summary>
    public abstract Task<IReadOnlyList<LfsObjectAnswer>> OfferAsync(string? refName, IReadOnlyList<LfsPointer> objects, CancellationToken cancellationToken);

    /// <summary>Asks for objects to download: Available, Missing or Refused.</summary>
    public abstract Task<IReadOnlyList<LfsObjectAnswer>> RequestAsync(string? refName, IReadOnlyList<LfsPointer> objects, CancellationToken cancellationToken);

    /// <summary>Opens an Available object's content.</summary>
    public abstract Task<Stream> OpenReadAsync(LfsObjectAnswer available, CancellationToken cancellationToken);

    /// <summary>Stores a Wanted object from <paramref name="content"/> (exactly its size; checked against its oid).</summary>
    public abstract Task WriteAsync(LfsObjectAnswer wanted, Stream content, CancellationToken cancellationToken);

    /// <summary>Runs <paramref name="ask"/> over <paramref name="objects"/> in batches.</summary>
    protected static async Task<IReadOnlyList<LfsObjectAnswer>> InBatchesAsync(IReadOnlyList<LfsPointer> objects,
        Func<IReadOnlyList<LfsPointer>, Task<IReadOnlyList<LfsObjectAnswer>>> ask)
    {
        var answers = new List<LfsObjectAnswer>(objects.Count);
        foreach (var chunk in objects.Chunk(BatchSize))
        {
            answers.AddRange(await ask(chunk).ConfigureAwait(false));
        }
        return answers;
    }
}
