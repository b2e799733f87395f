using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace GitMirror.Testing.Fakes;

/// <summary>
/// GitHub Apps in the GitHub fake, as GitHub checks them: a JWT is accepted only when its RS256
/// signature verifies with the App's public key, <c>iss</c> is the App's id, <c>iat</c> is not in
/// the future and <c>exp</c> is in the future and at most ten minutes after <c>iat</c>. Installation
/// tokens are issued for <see cref="InstallationTokenLifetime"/> and refused once expired (by the API
/// and, through <see cref="GuardGit"/>, by the git server).
/// </summary>
public sealed partial class FakeGitHubApi
{
    private readonly Dictionary<string, (long AppId, DateTimeOffset ExpiresAt, long Installation)> _installationTokens = new(StringComparer.Ordinal);
    private readonly Dictionary<long, (string Slug, RSA PublicKey)> _apps = [];
    private readonly Dictionary<(long AppId, string Account), long> _installations = [];
    private readonly List<string> _jwtRejections = [];
    private readonly Dictionary<string, DateTimeOffset> _expirations = new(StringComparer.Ordinal);
    private long _nextInstallation = 7000;
    private int _tokensIssued;

    /// <summary>How long an installation token lives (GitHub: one hour).</summary>
    public TimeSpan InstallationTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The permissions every installation token reports.</summary>
    public IReadOnlyDictionary<string, string> InstallationPermissions { get; set; } =
        new Dictionary<string, string> { ["contents"] = "write", ["workflows"] = "write", ["metadata"] = "read" };

    /// <summary>How many installation tokens were issued.</summary>
    public int InstallationTokensIssued
    {
        get { lock (Sync) return _tokensIssued; }
    }

    /// <summary>Every installation token issued so far, oldest first.</summary>
    public IReadOnlyList<string> InstallationTokens
    {
        get { lock (Sync) return [.. _installationTokens.Keys]; }
    }

    /// <summary>Why JWTs were refused (a test failing on 401 shows these).</summary>
    public IReadOnlyList<string> JwtRejections
    {
        get { lock (Sync) return [.. _jwtRejections]; }
    }

    /// <summary>Registers an App with its public key; returns the App's id.</summary>
    public void AddApp(long id, string slug, RSA key)
    {
        var publicKey = RSA.Create();
        publicKey.ImportRSAPublicKey(key.ExportRSAPublicKey(), out _);
        lock (Sync) _apps[id] = (slug, publicKey);
    }

    /// <summary>Installs the App on an account (user or organization); returns the installation id.</summary>
    public long InstallApp(long appId, string account)
    {
        lock (Sync)
        {
            _accounts.TryAdd(account, "Organization");
            return _installations[(appId, account.ToLowerInvariant())] = ++_nextInstallation;
        }
    }

    /// <summary>A personal access token's expiry, sent as GitHub-Authentication-Token-Expiration (none: it never expires).</summary>
    public void SetTokenExpiration(string token, DateTimeOffset expiresAt)
    {
        lock (Sync) _expirations[token] = expiresAt;
    }

    /// <summary>
    /// Makes <paramref name="server"/> accept, besides its own tokens, exactly the installation tokens
    /// issued here and not yet expired, sent as GitHub wants them: Basic auth with user x-access-token.
    /// <paramref name="seen"/> gets each accepted installation token (tests compare, never print them).
    /// </summary>
    public void GuardGit(GitHttpServer server, List<string>? seen = null)
    {
        server.Intercept = context =>
        {
            var header = context.Request.Headers.Authorization.ToString();
            if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return Task.FromResult(false);
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
            var colon = decoded.IndexOf(':');
            var (user, password) = (decoded[..colon], decoded[(colon + 1)..]);
            bool valid;
            lock (Sync)
            {
                if (!_installationTokens.TryGetValue(password, out var issued)) return Task.FromResult(false);
                valid = user == "x-access-token" && issued.ExpiresAt > DateTimeOffset.UtcNow;
                if (valid) seen?.Add(password);
            }
            if (valid)
            {
                lock (server.AcceptedTokens) server.AcceptedTokens.Add(password);
                return Task.FromResult(false);
            }
            lock (server.AcceptedTokens) server.AcceptedTokens.Remove(password);
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"GitHub\"";
            return Task.FromResult(true);
        };
    }

    /// <summary>True/false for a JWT or installation token (valid or not); null for anything else. Caller holds Sync.</summary>
    private bool? IsAppCredential(string token)
    {
        if (_installationTokens.TryGetValue(token, out var issued)) return issued.ExpiresAt > DateTimeOffset.UtcNow;
        if (token.Count(c => c == '.') != 2 || !token.StartsWith("eyJ", StringComparison.Ordinal)) return null;
        return VerifyJwt(token, out _);
    }

    /// <summary>False for App credentials, which carry no OAuth scopes header.</summary>
    private bool AddAppHeaders(HttpResponse response, string token)
    {
        lock (Sync)
        {
            if (_installationTokens.ContainsKey(token) || !_tokens.ContainsKey(token)) return false;
            if (_expirations.TryGetValue(token, out var at))
            {
                response.Headers["GitHub-Authentication-Token-Expiration"] = at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
            }
            return true;
        }
    }

    /// <summary>The App endpoints (JWT only), and GET /user refused to installation tokens as GitHub does; null: not an App request.</summary>
    private FakeResponse? HandleApp(string method, string[] segments, string token)
    {
        if (_installationTokens.ContainsKey(token))
        {
            return segments is ["user"] ? FakeResponse.Message(403, "Resource not accessible by integration") : null;
        }
        if (IsAppCredential(token) is null || !VerifyJwt(token, out var appId)) return null;
        var (slug, _) = _apps[appId];
        return (method, segments) switch
        {
            ("GET", ["app"]) => FakeResponse.Json(new JsonObject { ["id"] = appId, ["slug"] = slug, ["name"] = slug, ["node_id"] = "A_1" }),
            ("GET", ["orgs", var org, "installation"]) => _accounts.GetValueOrDefault(org) == "Organization" ? Installation(appId, org) : FakeResponse.Message(404, "Not Found"),
            ("GET", ["users", var user, "installation"]) => Installation(appId, user),
            ("POST", ["app", "installations", var id, "access_tokens"]) => Issue(appId, id),
            _ => FakeResponse.Message(401, "A JSON web token cannot be used for this endpoint"),
        };
    }

    private FakeResponse Installation(long appId, string account) =>
        _installations.TryGetValue((appId, account.ToLowerInvariant()), out var id)
            ? FakeResponse.Json(new JsonObject { ["id"] = id, ["app_id"] = appId, ["account"] = new JsonObject { ["login"] = account } })
            : FakeResponse.Message(404, "Not Found");

    private FakeResponse Issue(long appId, string id)
    {
        if (!long.TryParse(id, out var installation) || !_installations.Any(i => i.Key.AppId == appId && i.Value == installation))
        {
            return FakeResponse.Message(404, "Not Found");
        }
        var token = "ghs_CANARY" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var expiresAt = DateTimeOffset.UtcNow + InstallationTokenLifetime;
        _installationTokens[token] = (appId, expiresAt, installation);
        _tokens[token] = (_apps[appId].Slug + "[bot]", []);
        _tokensIssued++;
        var permissions = new JsonObject();
        foreach (var (k, v) in InstallationPermissions) permissions[k] = v;
        return FakeResponse.Json(new JsonObject
        {
            ["token"] = token,
            ["expires_at"] = expiresAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
            ["permissions"] = permissions,
            ["repository_selection"] = "all",
        }, 201);
    }

    /// <summary>GitHub's checks of an App JWT. Caller holds Sync.</summary>
    private bool VerifyJwt(string jwt, out long appId)
    {
        appId = 0;
        var parts = jwt.Split('.');
        try
        {
            var header = JsonNode.Parse(FromBase64Url(parts[0]))!;
            var payload = JsonNode.Parse(FromBase64Url(parts[1]))!;
            if (header["alg"]?.GetValue<string>() != "RS256") return Reject("alg is not RS256");
            var iss = payload["iss"]!;
            appId = iss.GetValueKind() == JsonValueKind.String ? long.Parse(iss.GetValue<string>(), CultureInfo.InvariantCulture) : iss.GetValue<long>();
            if (!_apps.TryGetValue(appId, out var app)) return Reject($"no App {appId}");
            var signed = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
            if (!app.PublicKey.VerifyData(signed, FromBase64Url(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)) return Reject("bad signature");
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var iat = payload["iat"]!.GetValue<long>();
            var exp = payload["exp"]!.GetValue<long>();
            if (iat > now + 5) return Reject("iat in the future");
            if (exp <= now) return Reject("expired");
            if (exp - iat > 600) return Reject("'Expiration time' claim ('exp') is too far in the future");
            return true;
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or NullReferenceException or CryptographicException or IndexOutOfRangeException)
        {
            return Reject($"undecodable: {e.GetType().Name}");
        }
    }

    private bool Reject(string why)
    {
        _jwtRejections.Add(why);
        return false;
    }

    private static byte[] FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + (4 - s.Length % 4) % 4, '='));
    }
}
