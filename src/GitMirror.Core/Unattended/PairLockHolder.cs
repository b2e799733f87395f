using System.Text.Json;
using System.Text.Json.Serialization;

namespace GitMirror.Core.Unattended;

/// <summary>Who holds a pair's lock, for the message of a run that could not get it.</summary>
public sealed record PairLockHolder(
    [property: JsonPropertyName("pid")] int ProcessId,
    [property: JsonPropertyName("host")] string Host,
    [property: JsonPropertyName("startedUtc")] DateTimeOffset StartedUtc)
{
    public static PairLockHolder Current(TimeProvider time) =>
        new(Environment.ProcessId, Environment.MachineName, time.GetUtcNow());

    public TimeSpan HeldFor(DateTimeOffset now) => now - StartedUtc;

    public override string ToString() => $"process {ProcessId} on {Host} since {StartedUtc:yyyy-MM-ddTHH:mm:ssZ}";

    internal byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this);

    internal static PairLockHolder? FromJson(byte[] json)
    {
        try
        {
            return JsonSerializer.Deserialize<PairLockHolder>(json) is { Host: not null } holder ? holder : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
