namespace GitMirror;

/// <summary>
/// What a forge says about the credential GitMirror uses for it: whose it is, what it may do and
/// when it stops working. Never holds the token itself.
/// </summary>
public sealed class MirrorCredential
{
    public required MirrorSide Forge { get; init; }

    public MirrorCredentialKind Kind { get; init; }

    /// <summary>The account the forge attributes the credential's actions to (a GitHub App: <c>slug[bot]</c>); null when unknown.</summary>
    public string? User { get; init; }

    /// <summary>The token's scopes (GitHub classic: X-OAuth-Scopes; GitLab: its scopes; a GitHub App: its permissions as <c>name:level</c>). Empty when the forge reports none.</summary>
    public string[] Scopes { get; init; } = [];

    /// <summary>When the credential stops working; null when it never expires (or the forge does not say).</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>Days until <see cref="ExpiresAt"/>, rounded down (0 on the last day, negative once expired); null when it never expires.</summary>
    public int? DaysLeft { get; init; }

    /// <summary>False when the forge refused the credential, or it is missing, expired or revoked.</summary>
    public bool Valid { get; init; }

    /// <summary>What to know or do about it, in one sentence.</summary>
    public string? Message { get; init; }

    /// <summary>The whole days from <paramref name="now"/> to <paramref name="expiresAt"/>, rounded down.</summary>
    public static int? DaysUntil(DateTimeOffset? expiresAt, DateTimeOffset now) =>
        expiresAt is { } at ? (int)Math.Floor((at - now).TotalDays) : null;

    public override string ToString() => $"{Forge} {Kind} {(Valid ? "valid" : "invalid")}";
}
