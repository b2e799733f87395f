using GitMirror.Core.Observe;

namespace GitMirror.Core.Lfs;

/// <summary>
/// A local (directory or file://) side: objects live where git-lfs keeps them, in the repository's
/// <c>lfs/objects/&lt;aa&gt;/&lt;bb&gt;/&lt;oid&gt;</c> (under <c>.git/</c> for a working tree). git-lfs reads
/// a file:// remote's objects from the same place, so clones from a local side check out.
/// </summary>
public sealed class LfsLocalStore : LfsStore
{
    private readonly string _objects;

    public LfsLocalStore(RemoteEndpoint endpoint) : base(endpoint)
    {
        var root = endpoint.LocalPath ?? throw new ArgumentException("not a local repository", nameof(endpoint));
        var gitDir = Directory.Exists(Path.Combine(root, ".git")) ? Path.Combine(root, ".git") : root;
        _objects = Path.Combine(gitDir, "lfs", "objects");
    }

    /// <summary>Where an object lives in a local repository's LFS store.</summary>
    public string PathOf(string oid) => LfsPointer.IsOid(oid)
        ? Path.Combine(_objects, oid[..2], oid[2..4], oid)
        : throw new ArgumentException($"not an LFS object id: '{oid}'", nameof(oid));

    private bool Holds(LfsPointer pointer) => new FileInfo(PathOf(pointer.Oid)) is { Exists: true } file && file.Length == pointer.Size;

    public override Task<IReadOnlyList<LfsObjectAnswer>> OfferAsync(string? refName, IReadOnlyList<LfsPointer> objects, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<LfsObjectAnswer>>(objects
            .Select(o => new LfsObjectAnswer(o, Holds(o) ? LfsObjectState.Present : LfsObjectState.Wanted)).ToList());

    public override Task<IReadOnlyList<LfsObjectAnswer>> RequestAsync(string? refName, IReadOnlyList<LfsPointer> objects, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<LfsObjectAnswer>>(objects
            .Select(o => new LfsObjectAnswer(o, Holds(o) ? LfsObjectState.Available : LfsObjectState.Missing)).ToList());

    public override Task<Stream> OpenReadAsync(LfsObjectAnswer available, CancellationToken cancellationToken) =>
        Task.FromResult<Stream>(new FileStream(PathOf(available.Pointer.Oid), FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true));

    public override async Task WriteAsync(LfsObjectAnswer wanted, Stream content, CancellationToken cancellationToken)
    {
        var final = PathOf(wanted.Pointer.Oid);
        var temporary = Path.Combine(_objects, "..", "tmp", $"{wanted.Pointer.Oid}.{Guid.NewGuid():N}.part");
        Directory.CreateDirectory(Path.GetDirectoryName(temporary)!);
        try
        {
            // Written whole and checked before it gets its name: a reader never sees half an object.
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                await content.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            Directory.CreateDirectory(Path.GetDirectoryName(final)!);
            File.Move(temporary, final, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }
}
