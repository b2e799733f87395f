using System.Security.Cryptography;
using System.Text;

namespace GitMirror.Core.Service;

/// <summary>
/// The delivery ids and payload digests seen most recently (memory only), so a replayed or
/// redelivered webhook does not sync twice. Bounded in entries and in bytes: each key is kept as
/// its SHA-256 digest (whatever length the sender chose), and the oldest is forgotten when
/// <see cref="Capacity"/> is reached.
/// </summary>
public sealed class DeliveryMemory(int capacity = DeliveryMemory.DefaultCapacity)
{
    /// <summary>design.md §8 asks for at least the last 10,000.</summary>
    public const int DefaultCapacity = 16_384;

    private readonly object _gate = new();
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    public int Capacity { get; } = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity));

    public int Count
    {
        get
        {
            lock (_gate) return _seen.Count;
        }
    }

    /// <summary>Remembers <paramref name="deliveryKey"/>; false when it was already remembered (a replay).</summary>
    public bool TryRemember(string deliveryKey)
    {
        // 44 characters per entry, whether the id had 36 or 30,000.
        deliveryKey = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(deliveryKey)));
        lock (_gate)
        {
            if (!_seen.Add(deliveryKey)) return false;
            _order.Enqueue(deliveryKey);
            while (_order.Count > Capacity) _seen.Remove(_order.Dequeue());
            return true;
        }
    }
}
