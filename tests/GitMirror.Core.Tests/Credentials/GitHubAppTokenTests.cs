using System.Security.Cryptography;
using GitMirror.Core.Forges;
using GitMirror.Core.Forges.GitHub;
using GitMirror.Testing;
using GitMirror.Testing.Fakes;
using Xunit;

namespace GitMirror.Core.Tests.Credentials;

/// <summary>
/// The GitHub App exchange against the GitHub fake on real Kestrel, which verifies each JWT's RS256
/// signature with the App's public key and its time window, and issues short-lived installation tokens.
/// </summary>
public sealed class GitHubAppTokenTests : IAsyncLifetime
{
    private const long AppId = 424242;
    private readonly TempDir _root = new("gh-app");
    private readonly RSA _key = RSA.Create(2048);
    private readonly Dictionary<string, string?> _environment = [];
    private FakeGitHubApi _fake = null!;

    public async Task InitializeAsync()
    {
        _fake = await FakeGitHubApi.StartAsync(_root.Combine("github"));
        _fake.AddApp(AppId, "acme-mirror", _key);
        _environment["APP_KEY"] = _key.ExportRSAPrivateKeyPem();
    }

    public async Task DisposeAsync()
    {
        await _fake.DisposeAsync();
        _key.Dispose();
        _root.Dispose();
    }

    private GitHubAppTokens Tokens() => new() { Environment = name => _environment.GetValueOrDefault(name) };

    private static MirrorGitHubApp App(long? installationId = null, string keyEnv = "APP_KEY") =>
        new() { Id = AppId, PrivateKeyEnv = keyEnv, InstallationId = installationId };

    [Fact]
    public async Task A_signed_JWT_is_exchanged_for_an_installation_token_that_is_kept_and_shared()
    {
        var installation = _fake.InstallApp(AppId, "acme");
        var tokens = Tokens();

        var first = await tokens.TokenAsync(_fake.ApiUrl, App(), "acme", CancellationToken.None);
        var again = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => tokens.TokenAsync(_fake.ApiUrl, App(), "ACME", CancellationToken.None)));

        Assert.Empty(_fake.JwtRejections);
        Assert.Equal(installation, first.InstallationId);
        Assert.StartsWith("ghs_", first.Token);
        Assert.All(again, t => Assert.Equal(first.Token, t.Token));
        Assert.Equal(1, _fake.InstallationTokensIssued);
        Assert.Contains("contents:write", first.Permissions);
        Assert.Contains("workflows:write", first.Permissions);
        Assert.InRange(first.ExpiresAt, DateTimeOffset.UtcNow.AddMinutes(59), DateTimeOffset.UtcNow.AddMinutes(61));
        // Found through the organization's installation; the JWT went only to the App endpoints.
        Assert.Contains(_fake.Calls, c => c.Target.EndsWith("/orgs/acme/installation", StringComparison.Ordinal));
        Assert.DoesNotContain(first.Token, first.ToString());
    }

    [Fact]
    public void The_JWT_is_RS256_with_iss_and_a_window_of_at_most_ten_minutes_from_a_minute_ago()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        var jwt = GitHubAppJwt.Create(AppId, _key, now);

        var parts = jwt.Split('.');
        Assert.Equal(3, parts.Length);
        var payload = System.Text.Json.Nodes.JsonNode.Parse(Base64Url(parts[1]))!;
        Assert.Equal(AppId.ToString(System.Globalization.CultureInfo.InvariantCulture), payload["iss"]!.GetValue<string>());
        Assert.Equal(now.ToUnixTimeSeconds() - 60, payload["iat"]!.GetValue<long>());
        Assert.True(payload["exp"]!.GetValue<long>() - payload["iat"]!.GetValue<long>() <= 600);
        Assert.Equal("RS256", System.Text.Json.Nodes.JsonNode.Parse(Base64Url(parts[0]))!["alg"]!.GetValue<string>());
        Assert.True(_key.VerifyData(System.Text.Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Base64Url(parts[2]),
            HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    [Fact]
    public async Task A_token_is_renewed_before_it_expires_so_a_later_operation_gets_a_new_one()
    {
        _fake.InstallationTokenLifetime = TimeSpan.FromSeconds(3);
        _fake.InstallApp(AppId, "acme");
        var tokens = Tokens();

        var first = await tokens.TokenAsync(_fake.ApiUrl, App(), "acme", CancellationToken.None);
        var soon = await tokens.TokenAsync(_fake.ApiUrl, App(), "acme", CancellationToken.None);
        Assert.Equal(first.Token, soon.Token);

        await Task.Delay(TimeSpan.FromSeconds(3.5));
        var later = await tokens.TokenAsync(_fake.ApiUrl, App(), "acme", CancellationToken.None);

        Assert.NotEqual(first.Token, later.Token);
        Assert.Equal(2, _fake.InstallationTokensIssued);
        Assert.True(later.ExpiresAt > DateTimeOffset.UtcNow);
        // The renewal margin: a 3 s token serves for about its first three quarters, an hour's for 55 minutes.
        Assert.False(first.IsFresh(first.ExpiresAt.AddSeconds(-0.5)));
        var hour = new GitHubInstallationToken("t", first.ReceivedAt.AddHours(1), first.ReceivedAt, 1, []);
        Assert.True(hour.IsFresh(first.ReceivedAt.AddMinutes(54)));
        Assert.False(hour.IsFresh(first.ReceivedAt.AddMinutes(56)));
    }

    [Fact]
    public async Task A_configured_installation_id_is_used_without_looking_it_up()
    {
        var installation = _fake.InstallApp(AppId, "somewhere");

        var token = await Tokens().TokenAsync(_fake.ApiUrl, App(installation), "acme", CancellationToken.None);

        Assert.Equal(installation, token.InstallationId);
        Assert.DoesNotContain(_fake.Calls, c => c.Target.Contains("/installation", StringComparison.Ordinal) && !c.Target.Contains("access_tokens", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_owner_without_the_App_installed_is_an_error_naming_the_owner_and_where_to_install()
    {
        _fake.AddUser("someone", "ghp_unused_" + Guid.NewGuid().ToString("N"));

        var e = await Assert.ThrowsAsync<ForgeApiException>(() => Tokens().TokenAsync(_fake.ApiUrl, App(), "someone", CancellationToken.None));

        Assert.Equal(ForgeFailureKind.Permission, e.Kind);
        Assert.Contains("not installed on the account 'someone'", e.Message);
        Assert.Contains("https://github.com/apps/acme-mirror", e.Message);
        Assert.Contains("installationId", e.Message);
        Assert.Equal(0, _fake.InstallationTokensIssued);

        var wrongId = await Assert.ThrowsAsync<ForgeApiException>(() => Tokens().TokenAsync(_fake.ApiUrl, App(999), "someone", CancellationToken.None));
        Assert.Contains("no installation 999", wrongId.Message);
    }

    [Theory]
    [InlineData("not a key at all")]
    [InlineData("-----BEGIN RSA PRIVATE KEY-----\nAAAAcanaryKEYmaterial\n-----END RSA PRIVATE KEY-----")]
    [InlineData("")]
    public async Task A_key_that_does_not_parse_is_an_error_naming_the_variable_and_never_the_value(string value)
    {
        _fake.InstallApp(AppId, "acme");
        _environment["BAD_KEY"] = value;

        var e = await Assert.ThrowsAsync<ForgeApiException>(() => Tokens().TokenAsync(_fake.ApiUrl, App(keyEnv: "BAD_KEY"), "acme", CancellationToken.None));

        Assert.Contains("BAD_KEY", e.Message);
        Assert.Contains(value.Length == 0 ? "is not set" : "does not hold a usable RSA private key", e.Message);
        if (value.Length > 0) Assert.DoesNotContain(value, e.ToString());
        Assert.DoesNotContain("canary", e.ToString(), StringComparison.OrdinalIgnoreCase);
        Assert.Empty(_fake.Calls);
    }

    [Fact]
    public async Task A_public_key_or_a_key_with_escaped_line_breaks_is_handled()
    {
        _fake.InstallApp(AppId, "acme");
        _environment["PUBLIC_ONLY"] = _key.ExportRSAPublicKeyPem();
        var e = await Assert.ThrowsAsync<ForgeApiException>(() => Tokens().TokenAsync(_fake.ApiUrl, App(keyEnv: "PUBLIC_ONLY"), "acme", CancellationToken.None));
        Assert.Contains("PUBLIC_ONLY", e.Message);

        // Secret stores often keep a PEM on one line with literal \n.
        _environment["ONE_LINE"] = _key.ExportPkcs8PrivateKeyPem().Replace("\n", "\\n", StringComparison.Ordinal);
        var token = await Tokens().TokenAsync(_fake.ApiUrl, App(keyEnv: "ONE_LINE"), "acme", CancellationToken.None);
        Assert.StartsWith("ghs_", token.Token);
    }

    [Fact]
    public async Task A_key_the_App_does_not_have_is_refused_by_the_signature_check()
    {
        _fake.InstallApp(AppId, "acme");
        using var other = RSA.Create(2048);
        _environment["OTHER_KEY"] = other.ExportRSAPrivateKeyPem();

        var e = await Assert.ThrowsAsync<ForgeApiException>(() => Tokens().TokenAsync(_fake.ApiUrl, App(keyEnv: "OTHER_KEY"), "acme", CancellationToken.None));

        Assert.Equal(ForgeFailureKind.Authentication, e.Kind);
        Assert.Contains("bad signature", _fake.JwtRejections);
        Assert.DoesNotContain(_environment["OTHER_KEY"]!, e.ToString());
    }

    [Fact]
    public async Task The_API_client_of_an_App_pair_sends_the_installation_token_as_a_bearer_token()
    {
        _fake.InstallApp(AppId, "acme");
        _fake.AddRepository("acme/widget");
        var tokens = Tokens();
        var forge = GitHubForge.WithBearer(_fake.ApiUrl, async () => (await tokens.TokenAsync(_fake.ApiUrl, App(), "acme", CancellationToken.None)).Token);

        var repository = await forge.GetRepositoryAsync("acme", "widget", CancellationToken.None);

        Assert.Equal("acme/widget", repository?.FullName);
        Assert.Equal(1, _fake.InstallationTokensIssued);
    }

    private static byte[] Base64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + (4 - s.Length % 4) % 4, '='));
    }
}
