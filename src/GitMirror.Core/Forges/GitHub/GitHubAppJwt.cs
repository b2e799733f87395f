using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace GitMirror.Core.Forges.GitHub;

/// <summary>
/// The JSON Web Token a GitHub App proves itself with (RS256, signed with the App's private key).
/// GitHub accepts one for at most ten minutes; it is only ever used to ask for installation tokens.
/// </summary>
public static class GitHubAppJwt
{
    /// <summary>How far <c>iat</c> lies in the past: GitHub's advice against clock drift.</summary>
    public static TimeSpan Backdate { get; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a token is valid from now; with the backdate, GitHub's maximum of ten minutes.</summary>
    public static TimeSpan Lifetime { get; } = TimeSpan.FromMinutes(9);

    /// <summary>A signed JWT for App <paramref name="appId"/>: <c>iss</c> = the id, <c>iat</c> a minute ago, <c>exp</c> nine minutes ahead.</summary>
    public static string Create(long appId, RSA key, DateTimeOffset now)
    {
        var header = Base64Url(Encoding.UTF8.GetBytes("""{"alg":"RS256","typ":"JWT"}"""));
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["iat"] = (now - Backdate).ToUnixTimeSeconds(),
            ["exp"] = (now + Lifetime).ToUnixTimeSeconds(),
            ["iss"] = appId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }));
        var signed = $"{header}.{payload}";
        var signature = key.SignData(Encoding.ASCII.GetBytes(signed), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{signed}.{Base64Url(signature)}";
    }

    /// <summary>
    /// The App's private key from the environment variable <paramref name="variable"/> (PEM, PKCS#1 as
    /// GitHub hands it out, or PKCS#8). A value with literal <c>\n</c> instead of line breaks (how
    /// some secret stores keep multi-line values) is read too. Errors name the variable, never the value.
    /// </summary>
    public static RSA LoadKey(string variable, Func<string, string?> environment)
    {
        Transport.ProcessHardening.ProtectSecrets();
        var pem = environment(variable);
        if (string.IsNullOrWhiteSpace(pem))
        {
            throw new ForgeApiException(MirrorSide.GitHub, ForgeFailureKind.Authentication,
                $"GitHub App: no private key: the environment variable {variable} is not set (it must hold the PEM of the App's private key, "
                + "from the App's settings page, 'Generate a private key')");
        }
        if (!pem.Contains('\n', StringComparison.Ordinal) && pem.Contains("\\n", StringComparison.Ordinal)) pem = pem.Replace("\\n", "\n", StringComparison.Ordinal);
        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
            if (rsa.KeySize < 2048) throw new CryptographicException("key too small");
            // A public key imports too, but cannot sign: find out now, not at GitHub.
            rsa.ExportParameters(includePrivateParameters: true);
            return rsa;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            rsa.Dispose();
            // Neither the value nor the parser's message (which may quote it) goes into the error.
            throw new ForgeApiException(MirrorSide.GitHub, ForgeFailureKind.Authentication,
                $"GitHub App: the environment variable {variable} does not hold a usable RSA private key: it must be the whole PEM file GitHub generated "
                + "(from '-----BEGIN RSA PRIVATE KEY-----' to '-----END RSA PRIVATE KEY-----', line breaks kept, 2048 bits or more)");
        }
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
