namespace GitMirror.Core.Report;

/// <summary>
/// Replaces the token values in use with <c>***</c> in free text (error messages, server replies),
/// so a token echoed back by a server or a library never reaches a log, status file or error record.
/// </summary>
public sealed class SecretRedactor
{
    public const string Mask = "***";

    private readonly string[] _secrets;

    /// <summary>Secrets that appear while the redactor is in use (GitHub App installation tokens, renewed as they expire).</summary>
    private Func<IReadOnlyList<string>>? _later;

    public SecretRedactor(IEnumerable<string?> secrets)
    {
        // Also the URL-encoded form (tokens in a URL userinfo or query); longest first, so a secret
        // that contains another is masked whole.
        _secrets = secrets
            .Where(s => !string.IsNullOrWhiteSpace(s))
            .SelectMany(s => new[] { s!, Uri.EscapeDataString(s!) })
            .Distinct(StringComparer.Ordinal)
            .OrderByDescending(s => s.Length)
            .ToArray();
    }

    public static SecretRedactor None { get; } = new([]);

    /// <summary>The values of the given environment variables (unset ones are ignored).</summary>
    public static SecretRedactor FromEnvironment(IEnumerable<string> variableNames) =>
        new(variableNames.Distinct(StringComparer.Ordinal).Select(Environment.GetEnvironmentVariable));

    /// <summary>The tokens of both sides of every pair, read from the variables the pairs name.</summary>
    public static SecretRedactor ForPairs(IEnumerable<MirrorPair> pairs)
    {
        var list = pairs.ToList();
        var redactor = FromEnvironment(list.SelectMany(p => p.GitHubApp is { } app
            ? new[] { p.GitHubTokenEnv, p.GitLabTokenEnv, app.PrivateKeyEnv }
            : [p.GitHubTokenEnv, p.GitLabTokenEnv]));
        if (list.Any(p => p.GitHubApp is not null)) redactor._later = () => Forges.GitHub.GitHubAppTokens.Shared.IssuedTokens;
        return redactor;
    }

    public string? Redact(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text;
        text = ServerText.Printable(ProcessSecrets.Scrub(text));
        foreach (var secret in _secrets)
        {
            if (text.Contains(secret, StringComparison.Ordinal)) text = text.Replace(secret, Mask, StringComparison.Ordinal);
        }
        foreach (var secret in _later?.Invoke() ?? [])
        {
            if (text.Contains(secret, StringComparison.Ordinal)) text = text.Replace(secret, Mask, StringComparison.Ordinal);
        }
        return text;
    }
}
