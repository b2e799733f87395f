using System.Security.Cryptography;
using System.Text;
using GitMirror.Core.Config;
using GitMirror.Core.Engine;
using GitMirror.Core.Forges.GitHub;
using GitMirror.Core.Report;
using GitMirror.Testing;
using GitMirror.Testing.Fakes;
using Xunit;

namespace GitMirror.Core.Tests.Credentials;

/// <summary>
/// Syncs whose GitHub side authenticates as a GitHub App: fetch and push over the local smart-HTTP
/// server with <c>x-access-token</c> and the installation token, no GITHUB_TOKEN at all, a new token
/// once the old one expired, and neither the key nor a token in anything written.
/// </summary>
public sealed class GitHubAppSyncTests : IAsyncLifetime
{
    private const long AppId = 515151;
    private readonly HttpMirrorWorld _http = new();
    private readonly RSA _key = RSA.Create(2048);
    private readonly string _keyEnv = "GM_TEST_APP_KEY_" + Guid.NewGuid().ToString("N");
    private readonly List<string> _seen = [];
    private readonly TempDir _api = new("gh-app-api");
    private FakeGitHubApi _fake = null!;

    private MirrorWorld World => _http.World;

    public async Task InitializeAsync()
    {
        _fake = await FakeGitHubApi.StartAsync(_api.Combine("root"));
        _fake.AddApp(AppId, "acme-mirror", _key);
        _fake.InstallApp(AppId, "org");
        _fake.GuardGit(_http.Server, _seen);
        // The App replaces the bot token: the server no longer takes it, and the variable is unset.
        lock (_http.Server.AcceptedTokens) _http.Server.AcceptedTokens.Remove(_http.GitHubToken);
        Environment.SetEnvironmentVariable(World.GitHubTokenEnv, null);
        Environment.SetEnvironmentVariable(_keyEnv, _key.ExportRSAPrivateKeyPem());
    }

    public async Task DisposeAsync()
    {
        Environment.SetEnvironmentVariable(_keyEnv, null);
        _http.Dispose();
        await _fake.DisposeAsync();
        _api.Dispose();
        _key.Dispose();
    }

    /// <summary>repos.yaml with github.app instead of github.tokenEnv.</summary>
    private MirrorPair Pair(string name)
    {
        var yaml = File.ReadAllText(World.ConfigPath).Replace($"  tokenEnv: {World.GitHubTokenEnv}\n",
            $"  api: {_fake.ApiUrl}\n  app:\n    id: {AppId}\n    privateKeyEnv: {_keyEnv}\n", StringComparison.Ordinal);
        File.WriteAllText(World.ConfigPath, yaml);
        return ConfigLoader.Load(World.ConfigPath).Pairs.Single(p => p.Name == name);
    }

    private Task<SyncOutcome> Sync(MirrorPair pair) =>
        new SyncRun([pair], new SyncRunOptions { LogPath = Path.Combine(World.Root, "sync.log") }, NullMirrorLog.Instance)
            .SyncAsync(pair, _ => true, CancellationToken.None);

    [Fact]
    public async Task Git_fetches_and_pushes_GitHub_with_the_installation_token_as_x_access_token()
    {
        var (github, gitlab) = World.AddPair("app");
        github.Commits(2);
        gitlab.Commit("feature");
        var pair = Pair("app");
        Assert.NotNull(pair.GitHubApp);

        var outcome = await Sync(pair);

        Assert.True(outcome.Result.Status == MirrorSyncStatus.Synced, outcome.Result.Error);
        Assert.Equal(RepoBuilder.Refs(github.BarePath).OrderBy(r => r.Key), RepoBuilder.Refs(gitlab.BarePath).OrderBy(r => r.Key));
        var gitHubRequests = _http.Server.Requests.Where(r => r.PathAndQuery.StartsWith("/github/", StringComparison.Ordinal)).ToList();
        Assert.Contains(gitHubRequests, r => r.Service == "git-receive-pack" && r.StatusCode == 200);
        Assert.All(gitHubRequests, r => Assert.Equal("x-access-token", r.AuthorizationUser));
        Assert.Equal(1, _fake.InstallationTokensIssued);
        Assert.Equal(_fake.InstallationTokens, _seen.Distinct());
        AssertNothingWrittenHoldsASecret();
    }

    [Fact]
    public async Task A_sync_after_the_token_expired_gets_a_new_one()
    {
        _fake.InstallationTokenLifetime = TimeSpan.FromSeconds(4);
        var (github, gitlab) = World.AddPair("app");
        github.Commits(1);
        var pair = Pair("app");
        Assert.Equal(MirrorSyncStatus.Synced, (await Sync(pair)).Result.Status);

        await Task.Delay(TimeSpan.FromSeconds(4.5));
        gitlab.Commit("main", message: "later");
        var second = await Sync(pair);

        Assert.True(second.Result.Status == MirrorSyncStatus.Synced, second.Result.Error);
        Assert.Equal(RepoBuilder.Refs(gitlab.BarePath)["refs/heads/main"], RepoBuilder.Refs(github.BarePath)["refs/heads/main"]);
        Assert.Equal(2, _fake.InstallationTokensIssued);
        Assert.Equal(2, _seen.Distinct().Count());
        Assert.Equal(0, _http.Server.AuthFailures);
        AssertNothingWrittenHoldsASecret();
    }

    [Fact]
    public async Task An_owner_without_the_App_fails_the_pair_with_where_to_install_it()
    {
        var (github, _) = World.AddPair("stranger", githubPath: "elsewhere/repo");
        github.Commits(1);
        _fake.AddUser("elsewhere", "ghp_unused_" + Guid.NewGuid().ToString("N"));

        var outcome = await Sync(Pair("stranger"));

        Assert.Equal(MirrorSyncStatus.Failed, outcome.Result.Status);
        Assert.Contains("not installed on the account 'elsewhere'", outcome.Result.Error);
        Assert.Contains(_keyEnv, outcome.Result.Error);
        Assert.Equal(0, _fake.InstallationTokensIssued);
        AssertNothingWrittenHoldsASecret();
    }

    [Fact]
    public async Task A_private_key_that_does_not_parse_fails_the_pair_naming_the_variable()
    {
        var (github, _) = World.AddPair("app");
        github.Commits(1);
        const string Broken = "-----BEGIN RSA PRIVATE KEY-----\nMIIcanaryBROKENkey\n-----END RSA PRIVATE KEY-----";
        Environment.SetEnvironmentVariable(_keyEnv, Broken);

        var outcome = await Sync(Pair("app"));

        Assert.Equal(MirrorSyncStatus.Failed, outcome.Result.Status);
        Assert.Contains($"the environment variable {_keyEnv} does not hold a usable RSA private key", outcome.Result.Error);
        Assert.DoesNotContain("MIIcanary", outcome.Result.Error);
        Assert.DoesNotContain("MIIcanary", ReadAllWritten());
    }

    /// <summary>The cache (status files, repositories' config, everything) and the JSON log: no token, no key.</summary>
    private void AssertNothingWrittenHoldsASecret()
    {
        var written = ReadAllWritten();
        foreach (var token in _fake.InstallationTokens) Assert.DoesNotContain(token, written);
        Assert.DoesNotContain("ghs_CANARY", written);
        foreach (var line in _key.ExportRSAPrivateKeyPem().Split('\n').Where(l => l.Length > 20 && !l.StartsWith("-----", StringComparison.Ordinal)))
        {
            Assert.DoesNotContain(line, written);
        }
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes("x-access-token:")), written);
    }

    private string ReadAllWritten()
    {
        var text = new StringBuilder();
        foreach (var file in Directory.EnumerateFiles(World.CachePath, "*", SearchOption.AllDirectories)
            .Append(Path.Combine(World.Root, "sync.log")).Where(File.Exists))
        {
            text.Append(Encoding.Latin1.GetString(File.ReadAllBytes(file))).Append('\n');
        }
        return text.ToString();
    }
}
