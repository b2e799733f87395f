using System.Diagnostics;

namespace GitMirror.Core.Service;

/// <summary>
/// When each pair syncs: a request starts the pair's sync after a short debounce (a burst — four
/// tags pushed at once — becomes one sync); a pair never syncs twice at once; a request that arrives
/// while the pair syncs runs exactly one more sync after it (that sync sees the new push).
/// At most <c>concurrency</c> pairs sync at the same time.
/// </summary>
public sealed class PairSyncScheduler
{
    /// <summary>Syncs one pair; null when it did not get to run (cancelled).</summary>
    public delegate Task<MirrorSyncResult?> SyncPair(MirrorPair pair, CancellationToken cancellationToken);

    private readonly object _gate = new();
    private readonly Dictionary<string, Slot> _slots = new(StringComparer.Ordinal);
    private readonly SyncPair _sync;
    private readonly TimeSpan _debounce;
    private readonly SemaphoreSlim _concurrency;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Action<MirrorSyncResult, IReadOnlyList<long>> _completed;

    private readonly TimeSpan _minInterval;

    /// <param name="completed">Told each result with the Stopwatch timestamps of the events it served.</param>
    /// <param name="minInterval">The least time between the starts of one pair's syncs: a flood of events cannot sync a pair faster.</param>
    public PairSyncScheduler(SyncPair sync, TimeSpan debounce, int concurrency, Action<MirrorSyncResult, IReadOnlyList<long>>? completed = null, TimeSpan minInterval = default)
    {
        _minInterval = minInterval;
        _sync = sync;
        _debounce = debounce;
        _concurrency = new SemaphoreSlim(Math.Max(1, concurrency));
        _completed = completed ?? ((_, _) => { });
    }

    /// <summary>True once <see cref="StopAsync"/> began: requests are refused.</summary>
    public bool Stopping => _stopping.IsCancellationRequested;

    /// <summary>
    /// Asks for a sync of <paramref name="pair"/>. <paramref name="eventTimestamp"/> (Stopwatch ticks
    /// of the webhook's arrival) feeds the event-to-mirrored latency; null for a poll. False when stopping.
    /// </summary>
    public bool Request(MirrorPair pair, long? eventTimestamp = null)
    {
        lock (_gate)
        {
            if (Stopping) return false;
            if (!_slots.TryGetValue(pair.Name, out var slot)) _slots[pair.Name] = slot = new Slot();
            slot.Pair = pair;
            if (eventTimestamp is { } t) slot.Events.Add(t);
            slot.Wanted = true;
            if (slot.Worker is null || slot.Worker.IsCompleted) slot.Worker = Task.Run(() => WorkAsync(slot));
            return true;
        }
    }

    /// <summary>Pairs with a sync under way or wanted.</summary>
    public int Busy
    {
        get
        {
            lock (_gate) return _slots.Values.Count(s => s.Worker is { IsCompleted: false });
        }
    }

    /// <summary>Refuses new requests, cancels running syncs and waits for them, up to <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        Task[] workers;
        lock (_gate)
        {
            _stopping.Cancel();
            workers = _slots.Values.Select(s => s.Worker).OfType<Task>().ToArray();
        }
        await Task.WhenAny(Task.WhenAll(workers), Task.Delay(grace)).ConfigureAwait(false);
    }

    /// <summary>Waits until no pair has a sync wanted or running (tests, benchmarks).</summary>
    public async Task IdleAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task[] workers;
            lock (_gate) workers = _slots.Values.Select(s => s.Worker).OfType<Task>().Where(t => !t.IsCompleted).ToArray();
            if (workers.Length == 0) return;
            await Task.WhenAll(workers).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task WorkAsync(Slot slot)
    {
        var token = _stopping.Token;
        try
        {
            await Task.Delay(_debounce, token).ConfigureAwait(false);
            while (true)
            {
                MirrorPair pair;
                long[] events;
                lock (_gate)
                {
                    if (!slot.Wanted || Stopping)
                    {
                        slot.Worker = null;
                        return;
                    }
                    // Everything asked so far is served by this sync: it observes both sides after now.
                    slot.Wanted = false;
                    pair = slot.Pair!;
                    events = [.. slot.Events];
                    slot.Events.Clear();
                }
                if (slot.LastStart is { } last && Stopwatch.GetElapsedTime(last) < _minInterval)
                {
                    await Task.Delay(_minInterval - Stopwatch.GetElapsedTime(last), token).ConfigureAwait(false);
                }
                await _concurrency.WaitAsync(token).ConfigureAwait(false);
                slot.LastStart = Stopwatch.GetTimestamp();
                MirrorSyncResult? result;
                try
                {
                    result = await _sync(pair, token).ConfigureAwait(false);
                }
                finally
                {
                    _concurrency.Release();
                }
                if (result is not null) _completed(result, events);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        finally
        {
            lock (_gate)
            {
                // A request that raced with the end of this worker finds Worker completed and starts a new one.
                if (slot.Worker is not null && slot.Wanted && !Stopping) slot.Worker = Task.Run(() => WorkAsync(slot));
            }
        }
    }

    /// <summary>Seconds from a Stopwatch timestamp to now.</summary>
    public static double SecondsSince(long timestamp) => Stopwatch.GetElapsedTime(timestamp).TotalSeconds;

    private sealed class Slot
    {
        public MirrorPair? Pair;
        public bool Wanted;
        public readonly List<long> Events = [];
        public Task? Worker;
        public long? LastStart;
    }
}
