using System.Security.Cryptography;

namespace GitMirror.Core.Lfs;

/// <summary>
/// Reads an LFS object's content from <paramref name="inner"/> and checks it against its pointer as it
/// goes: a wrong length or SHA-256 throws before the last byte is handed on, so a receiver given an
/// exact Content-Length never gets a whole body of the wrong object. <paramref name="onRead"/> hears
/// of each read (idle timeouts).
/// </summary>
public sealed class VerifyingStream(Stream inner, LfsPointer pointer, string source, Action<int>? onRead = null) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _read;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => pointer.Size;
    public override long Position { get => _read; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var limited = buffer[..(int)Math.Min(buffer.Length, Math.Max(pointer.Size - _read, 1))];
        return Check(limited, inner.Read(limited));
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        // At most one byte past the expected end is asked for: enough to notice an object that is too long.
        var limited = buffer[..(int)Math.Min(buffer.Length, Math.Max(pointer.Size - _read, 1))];
        var read = await inner.ReadAsync(limited, cancellationToken).ConfigureAwait(false);
        return Check(limited.Span, read);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int Check(ReadOnlySpan<byte> buffer, int read)
    {
        onRead?.Invoke(read);
        if (read == 0)
        {
            if (_read != pointer.Size)
            {
                throw new LfsException($"LFS object {pointer.Describe()} from {source} ended after {_read} of {pointer.Size} bytes");
            }
            return 0;
        }
        _read += read;
        if (_read > pointer.Size)
        {
            throw new LfsException($"LFS object {pointer.Describe()} from {source} is longer than its pointer says ({pointer.Size} bytes)");
        }
        _hash.AppendData(buffer[..read]);
        if (_read == pointer.Size)
        {
            var actual = Convert.ToHexString(_hash.GetHashAndReset()).ToLowerInvariant();
            if (actual != pointer.Oid)
            {
                throw new LfsException($"LFS object {pointer.Describe()} from {source} has the wrong content (its SHA-256 is {actual})");
            }
        }
        return read;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
            inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
