using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace GitMirror.Core.Unattended;

/// <summary>
/// <c>-Shard i/n</c> (design.md §5): a pair belongs to shard i when the SHA-256 of its UTF-8 name,
/// read as a big-endian unsigned 64-bit number from the first 8 bytes, is ≡ i−1 (mod n). It depends
/// on the name alone, so every process and machine agrees, and the n shards split the pairs exactly.
/// </summary>
public sealed class ShardSelector
{
    private ShardSelector(int index, int count)
    {
        Index = index;
        Count = count;
    }

    /// <summary>1-based shard number i.</summary>
    public int Index { get; }

    /// <summary>Number of shards n.</summary>
    public int Count { get; }

    /// <summary>Parses "i/n" with 1 ≤ i ≤ n; <see cref="FormatException"/> says what is wrong.</summary>
    public static ShardSelector Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var parts = spec.Trim().Split('/');
        if (parts.Length != 2 || !TryParseNumber(parts[0], out var index) || !TryParseNumber(parts[1], out var count))
        {
            throw new FormatException($"-Shard '{spec}' is not of the form i/n (for example 1/4: the first of four shards).");
        }
        if (count < 1) throw new FormatException($"-Shard '{spec}': the number of shards must be at least 1.");
        if (index < 1 || index > count)
        {
            throw new FormatException($"-Shard '{spec}': the shard number must be between 1 and {count}. " +
                "A Kubernetes JOB_COMPLETION_INDEX is 0-based: add 1.");
        }
        return new ShardSelector(index, count);
    }

    /// <summary>The number the shard is taken from: the first 8 bytes of SHA-256(UTF-8 name), big-endian.</summary>
    public static ulong KeyOf(string pairName) =>
        BinaryPrimitives.ReadUInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(pairName)));

    public bool Contains(string pairName) => KeyOf(pairName) % (ulong)Count == (ulong)(Index - 1);

    public IEnumerable<MirrorPair> Select(IEnumerable<MirrorPair> pairs) => pairs.Where(p => Contains(p.Name));

    public override string ToString() => $"{Index}/{Count}";

    // Digits only: no signs, spaces or thousands separators inside the numbers.
    private static bool TryParseNumber(string text, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
