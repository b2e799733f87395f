using System.Text.Json;
using System.Text.Json.Serialization;

namespace GitMirror.Core.Unattended;

/// <summary>What the holder of a pair's lock is doing with the pair.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PairLockActivity>))]
public enum PairLockActivity
{
    /// <summary>Sync-MirrorPair (or the service): may push.</summary>
    Syncing,
    /// <summary>Compare-MirrorRef: only reads both sides and fills the cache; done in seconds.</summary>
    Comparing,
    /// <summary>Repair-MirrorDivergence.</summary>
    Repairing,
    /// <summary>Remove-MirrorRef.</summary>
    Removing,
    /// <summary>Initialize-MirrorBootstrap installing CI files.</summary>
    Bootstrapping,
}

/// <summary>Who holds a pair's lock and what for, for the message of a run that could not get it.</summary>
public sealed record PairLockHolder(
    [property: JsonPropertyName("pid")] int ProcessId,
    [property: JsonPropertyName("host")] string Host,
    [property: JsonPropertyName("startedUtc")] DateTimeOffset StartedUtc,
    [property: JsonPropertyName("activity")] PairLockActivity? Activity = null)
{
    public static PairLockHolder Current(TimeProvider time, PairLockActivity activity) =>
        new(Environment.ProcessId, Environment.MachineName, time.GetUtcNow(), activity);

    /// <summary>
    /// How long the lock has been held. A holder's clock may be ahead of ours (another machine sharing
    /// the cache): a start in the future counts as just started, never as a negative or huge age.
    /// </summary>
    public TimeSpan HeldFor(DateTimeOffset now) => now > StartedUtc ? now - StartedUtc : TimeSpan.Zero;

    /// <summary>True when the holder only reads (a sync may wait a little for it rather than skip).</summary>
    public bool ReadOnly => Activity == PairLockActivity.Comparing;

    /// <summary>"synced", "compared (Compare-MirrorRef)": what is being done to the pair, for messages.</summary>
    public string Doing => Activity switch
    {
        PairLockActivity.Syncing => "synced",
        PairLockActivity.Comparing => "compared (Compare-MirrorRef)",
        PairLockActivity.Repairing => "repaired (Repair-MirrorDivergence)",
        PairLockActivity.Removing => "changed (Remove-MirrorRef)",
        PairLockActivity.Bootstrapping => "bootstrapped (Initialize-MirrorBootstrap)",
        _ => "used",
    };

    public override string ToString() => $"process {ProcessId} on {Host} since {StartedUtc:yyyy-MM-ddTHH:mm:ssZ}";

    internal byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, PairLockHolderJson.Default.PairLockHolder);

    internal static PairLockHolder? FromJson(byte[] json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, PairLockHolderJson.Default.PairLockHolder) is { Host: not null } holder ? holder : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>The holder file's serializer, generated at build time (every run that locks a pair writes one).</summary>
[JsonSerializable(typeof(PairLockHolder))]
internal sealed partial class PairLockHolderJson : JsonSerializerContext;
