using System.Security.Cryptography;
using GitMirror.Core.Config;
using GitMirror.Core.Forges;
using GitMirror.Core.Report;
using GitMirror.Core.Service;
using GitMirror.Testing;
using GitMirror.Testing.Fakes;
using Xunit;

namespace GitMirror.Core.Tests.Credentials;

/// <summary>
/// What the forges say about GitMirror's credentials, from the fakes on real Kestrel: GitHub's
/// expiration and scope headers, GitLab's /personal_access_tokens/self, a GitHub App's token.
/// </summary>
public sealed class CredentialProbeTests : IAsyncLifetime
{
    private readonly TempDir _root = new("probe");
    private readonly string _gitHubToken = "ghp_CANARYprobe" + Guid.NewGuid().ToString("N");
    private readonly string _gitLabToken = "glpat-CANARYprobe" + Guid.NewGuid().ToString("N");
    private readonly Dictionary<string, string?> _environment = [];
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private FakeGitHubApi _github = null!;
    private FakeGitLabApi _gitlab = null!;

    public async Task InitializeAsync()
    {
        _github = await FakeGitHubApi.StartAsync(_root.Combine("gh"));
        _gitlab = await FakeGitLabApi.StartAsync(_root.Combine("gl"));
        _github.AddUser("gh-bot", _gitHubToken, "repo", "workflow");
        _gitlab.AddUser("gl-bot", _gitLabToken, "api", "write_repository");
        _environment["GH"] = _gitHubToken;
        _environment["GL"] = _gitLabToken;
    }

    public async Task DisposeAsync()
    {
        await _github.DisposeAsync();
        await _gitlab.DisposeAsync();
        _root.Dispose();
    }

    private MirrorConfig Config(string gitHubExtra = "  tokenEnv: GH\n") => ConfigLoader.Parse(
        $"github:\n  url: {_github.BaseUrl}\n  api: {_github.ApiUrl}\n{gitHubExtra}gitlab:\n  url: {_gitlab.BaseUrl}\n  api: {_gitlab.ApiUrl}\n  tokenEnv: GL\n"
        + $"cache: {_root.Combine("cache")}\nrepos:\n  - github: acme/widget\n    gitlab: acme/widget\n", _root.Combine("repos.yaml"));

    private Task<IReadOnlyList<MirrorCredential>> Probe(MirrorConfig config) =>
        CredentialProbe.ProbeAllAsync(config, CancellationToken.None, name => _environment.GetValueOrDefault(name), () => Now);

    [Fact]
    public async Task Expiring_tokens_report_user_scopes_expiry_and_days_left()
    {
        _github.SetTokenExpiration(_gitHubToken, new DateTimeOffset(2026, 12, 11, 18, 30, 0, TimeSpan.Zero));
        _gitlab.SetTokenExpiry(_gitLabToken, new DateOnly(2027, 3, 1));

        var (github, gitlab) = Pair(await Probe(Config()));

        Assert.Equal(MirrorCredentialKind.PersonalAccessToken, github.Kind);
        Assert.Equal("gh-bot", github.User);
        Assert.Equal(["repo", "workflow"], github.Scopes);
        Assert.Equal(new DateTimeOffset(2026, 12, 11, 18, 30, 0, TimeSpan.Zero), github.ExpiresAt);
        Assert.Equal(10, github.DaysLeft);
        Assert.True(github.Valid);
        Assert.Contains("expires on 2026-12-11 (10 days left)", github.Message);
        Assert.Contains("10 days left", CredentialStatus.NeedsAttention(github));

        Assert.Equal(MirrorCredentialKind.PersonalAccessToken, gitlab.Kind);
        Assert.Equal("gl-bot", gitlab.User);
        Assert.Equal(["api", "write_repository"], gitlab.Scopes);
        Assert.Equal(new DateTimeOffset(2027, 3, 1, 0, 0, 0, TimeSpan.Zero), gitlab.ExpiresAt);
        Assert.Equal(89, gitlab.DaysLeft);
        Assert.True(gitlab.Valid);
        Assert.Null(CredentialStatus.NeedsAttention(gitlab));
        AssertNoToken(github, gitlab);
    }

    [Fact]
    public async Task Tokens_without_an_expiry_never_expire()
    {
        var (github, gitlab) = Pair(await Probe(Config()));

        Assert.Null(github.ExpiresAt);
        Assert.Null(github.DaysLeft);
        Assert.Contains("never expires", github.Message);
        Assert.Null(gitlab.ExpiresAt);
        Assert.Null(gitlab.DaysLeft);
        Assert.True(github.Valid && gitlab.Valid);
        Assert.Null(CredentialStatus.NeedsAttention(github));
    }

    [Fact]
    public async Task A_refused_or_revoked_or_expired_or_missing_token_is_not_valid_and_says_what_to_do()
    {
        _environment["GH"] = "ghp_CANARYwrong" + Guid.NewGuid().ToString("N");
        _gitlab.RevokeToken(_gitLabToken);

        var (github, gitlab) = Pair(await Probe(Config()));

        Assert.False(github.Valid);
        Assert.Contains("refused the token in GH (401)", github.Message);
        Assert.False(gitlab.Valid);
        Assert.Contains("revoked", gitlab.Message);
        AssertNoToken(github, gitlab);

        _environment["GH"] = _gitHubToken;
        _github.SetTokenExpiration(_gitHubToken, Now.AddDays(-1));
        _environment["GL"] = null;
        (github, gitlab) = Pair(await Probe(Config()));
        Assert.False(github.Valid);
        Assert.Contains("expired on 2026-11-30", github.Message);
        Assert.Equal(-1, github.DaysLeft);
        Assert.False(gitlab.Valid);
        Assert.Contains("GL is not set", gitlab.Message);

        _environment["GL"] = "glpat-CANARYwrong";
        (_, gitlab) = Pair(await Probe(Config()));
        Assert.False(gitlab.Valid);
        Assert.Contains("refused the token in GL (401)", gitlab.Message);
    }

    [Fact]
    public async Task A_GitHub_App_reports_its_bot_user_permissions_and_its_installation_tokens_expiry()
    {
        using var key = RSA.Create(2048);
        _github.AddApp(31337, "acme-mirror", key);
        _github.InstallApp(31337, "acme");
        var keyEnv = "GM_TEST_PROBE_KEY_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(keyEnv, key.ExportRSAPrivateKeyPem());
        try
        {
            var (github, _) = Pair(await CredentialProbe.ProbeAllAsync(Config($"  app:\n    id: 31337\n    privateKeyEnv: {keyEnv}\n"), CancellationToken.None,
                name => _environment.GetValueOrDefault(name)));

            Assert.Equal(MirrorCredentialKind.GitHubApp, github.Kind);
            Assert.Equal("acme-mirror[bot]", github.User);
            Assert.Contains("contents:write", github.Scopes);
            Assert.InRange(github.ExpiresAt!.Value, DateTimeOffset.UtcNow.AddMinutes(50), DateTimeOffset.UtcNow.AddMinutes(61));
            Assert.True(github.Valid);
            Assert.Null(CredentialStatus.NeedsAttention(github));
            Assert.DoesNotContain("ghs_", github.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(keyEnv, null);
        }
    }

    [Fact]
    public async Task The_check_is_kept_in_the_cache_without_tokens_and_becomes_metrics()
    {
        _github.SetTokenExpiration(_gitHubToken, new DateTimeOffset(2026, 12, 11, 18, 30, 0, TimeSpan.Zero));
        var credentials = await Probe(Config());
        var store = new CredentialStatus(_root.Combine("cache"));
        Directory.CreateDirectory(_root.Combine("cache"));

        store.Record(credentials, Now);
        var read = store.Read(Now.AddDays(3));

        Assert.Equal([MirrorSide.GitHub, MirrorSide.GitLab], read.Select(r => r.Credential.Forge));
        Assert.Equal(7, read[0].Credential.DaysLeft);
        Assert.Equal(Now, read[0].ProbedAt);
        var file = File.ReadAllText(store.FilePath);
        Assert.DoesNotContain(_gitHubToken, file);
        Assert.DoesNotContain(_gitLabToken, file);

        var metrics = CredentialWatch.FormatMetrics(credentials);
        Assert.Contains("# TYPE gitmirror_token_expiry_timestamp_seconds gauge\n", metrics);
        Assert.Contains($"gitmirror_token_expiry_timestamp_seconds{{forge=\"github\"}} {new DateTimeOffset(2026, 12, 11, 18, 30, 0, TimeSpan.Zero).ToUnixTimeSeconds()}\n", metrics);
        Assert.DoesNotContain("gitmirror_token_expiry_timestamp_seconds{forge=\"gitlab\"}", metrics);
        Assert.Contains("gitmirror_token_valid{forge=\"gitlab\"} 1\n", metrics);
    }

    [Fact]
    public async Task A_forge_served_from_local_directories_needs_no_credential_and_is_not_asked()
    {
        var config = ConfigLoader.Parse($"github:\n  url: {_root.Combine("gh-local")}\n  api: {_github.ApiUrl}\ngitlab:\n  url: {_root.Combine("gl-local")}\n"
            + "repos:\n  - github: a/b\n    gitlab: c/d\n", _root.Combine("repos.yaml"));

        var credentials = await Probe(config);

        Assert.All(credentials, c => Assert.True(c.Valid));
        Assert.Empty(_github.Calls);
    }

    private static (MirrorCredential GitHub, MirrorCredential GitLab) Pair(IReadOnlyList<MirrorCredential> credentials)
    {
        Assert.Equal(2, credentials.Count);
        return (credentials.Single(c => c.Forge == MirrorSide.GitHub), credentials.Single(c => c.Forge == MirrorSide.GitLab));
    }

    private void AssertNoToken(params MirrorCredential[] credentials)
    {
        foreach (var c in credentials)
        {
            Assert.DoesNotContain("CANARY", $"{c.User} {c.Message} {string.Join(",", c.Scopes)}");
        }
    }
}
