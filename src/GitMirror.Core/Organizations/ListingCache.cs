using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using GitMirror.Core.Config;
using GitMirror.Core.Report;
using GitMirror.Core.Unattended;

namespace GitMirror.Core.Organizations;

/// <summary>One page of a listing as last fetched: its ETag and the repository names on it that count.</summary>
public sealed record ListingPage
{
    public string? ETag { get; init; }

    public string[] Names { get; init; } = [];
}

/// <summary>A cached listing of one GitHub organisation (or user) or GitLab group.</summary>
public sealed record CachedListing
{
    public int Version { get; init; } = 1;

    /// <summary>The API base the listing came from: a listing of another forge instance is never reused.</summary>
    public required string Api { get; init; }

    public required MirrorSide Side { get; init; }

    public required string Owner { get; init; }

    /// <summary>GitHub: the owner is a user (listed with /users/{name}/repos), not an organisation.</summary>
    public bool IsUser { get; init; }

    /// <summary>When the forge last confirmed the listing (a full listing or a 304).</summary>
    public DateTimeOffset CheckedAt { get; init; }

    /// <summary>When every page was last fetched.</summary>
    public DateTimeOffset ListedAt { get; init; }

    public ListingPage[] Pages { get; init; } = [];

    [JsonIgnore]
    public IEnumerable<string> Names => Pages.SelectMany(p => p.Names);
}

[JsonSourceGenerationOptions(WriteIndented = false, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true)]
[JsonSerializable(typeof(CachedListing))]
internal sealed partial class ListingJson : JsonSerializerContext;

/// <summary>
/// The organisation listings under <c>&lt;cache&gt;/organizations/</c>, one owner-only JSON file per
/// listing, replaced atomically, under the cache's trust rules (no link followed, nothing writable
/// by others). An unreadable file is a listing never made: the next run lists again.
/// </summary>
public static class ListingCache
{
    public const string DirectoryName = "organizations";

    public static string PathFor(string cacheDir, string api, MirrorSide side, string owner)
    {
        var key = $"{api.TrimEnd('/').ToLowerInvariant()}\n{side}\n{owner.ToLowerInvariant()}";
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16].ToLowerInvariant();
        return Path.Combine(cacheDir, DirectoryName, $"{side.ToString().ToLowerInvariant()}-{PairFileName.For(owner)}-{hash}.json");
    }

    public static CachedListing? Read(string cacheDir, string api, MirrorSide side, string owner)
    {
        var path = PathFor(cacheDir, api, side, owner);
        try
        {
            if (!File.Exists(path)) return null;
            CacheTrust.CheckEntry(path);
            ExclusiveFile.RefuseLink(path);
            var listing = JsonSerializer.Deserialize(File.ReadAllBytes(path), ListingJson.Default.CachedListing);
            return listing is not null && listing.Version == 1 && listing.Side == side
                   && string.Equals(listing.Api.TrimEnd('/'), api.TrimEnd('/'), StringComparison.OrdinalIgnoreCase)
                   && string.Equals(listing.Owner, owner, StringComparison.OrdinalIgnoreCase)
                ? listing
                : null;
        }
        catch (Exception e) when (e is (IOException or UnauthorizedAccessException or JsonException) and not MirrorCacheUntrustedException)
        {
            return null;
        }
    }

    public static void Write(string cacheDir, CachedListing listing)
    {
        CacheTrust.EnsureSubdirectory(cacheDir, DirectoryName);
        var path = PathFor(cacheDir, listing.Api, listing.Side, listing.Owner);
        CacheTrust.CheckEntry(path);
        AtomicFile.RemoveLeftovers(path, TimeSpan.FromHours(1));
        // Not flushed to disk: a listing lost in a power cut is only listed again.
        AtomicFile.WriteAllBytesVolatile(path, JsonSerializer.SerializeToUtf8Bytes(listing, ListingJson.Default.CachedListing));
    }

    /// <summary>
    /// Makes the next run ask the forge again (conditionally) instead of trusting the cached listing:
    /// after GitMirror itself created a repository in it.
    /// </summary>
    public static void MarkStale(string cacheDir, string api, MirrorSide side, string owner)
    {
        if (Read(cacheDir, api, side, owner) is not { } listing) return;
        Write(cacheDir, listing with { CheckedAt = DateTimeOffset.MinValue });
    }
}
