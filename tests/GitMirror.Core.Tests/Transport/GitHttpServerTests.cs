using GitMirror.Testing;
using Xunit;

namespace GitMirror.Core.Tests.Transport;

/// <summary>The test server behaves like a forge for the real git CLI.</summary>
public sealed class GitHttpServerTests : IDisposable
{
    private const string Token = "glpat-server-test-token";
    private readonly TempDir _dir = new();
    private readonly GitHttpServer _server;
    private readonly RepoBuilder _repo;

    public GitHttpServerTests()
    {
        _repo = new RepoBuilder(_dir.Combine("root", "team", "repo.git"));
        _server = GitHttpServer.Start(_dir.Combine("root"));
        _server.AcceptedTokens.Add(Token);
    }

    public void Dispose()
    {
        _server.Dispose();
        _dir.Dispose();
    }

    private static Dictionary<string, string> Auth(string token) => GitHttpServer.GitAuthEnvironment("oauth2", token);

    [Fact]
    public void Clone_and_push_a_large_commit_with_a_token()
    {
        var main = _repo.Commit();
        var clone = _dir.Combine("clone");
        Git.RunWithEnv(_dir.Path, Auth(Token), "clone", "--quiet", _server.UrlOf("team/repo"), clone);
        Assert.Equal(main, Git.Run(clone, "rev-parse", "HEAD"));

        // Incompressible content bigger than the pipe buffers: stdin and stdout must flow together.
        var bytes = new byte[3 * 1024 * 1024];
        new Random(7).NextBytes(bytes);
        File.WriteAllBytes(Path.Combine(clone, "big.bin"), bytes);
        Git.Run(clone, "add", "big.bin");
        Git.Run(clone, "commit", "--quiet", "-m", "big");
        var pushed = Git.Run(clone, "rev-parse", "HEAD");
        Git.RunWithEnv(clone, Auth(Token), "push", "--quiet", "origin", "HEAD:refs/heads/feature");

        Assert.Equal(pushed, RepoBuilder.Refs(_repo.BarePath)["refs/heads/feature"]);
        // git probes with a tiny POST before streaming a body bigger than http.postBuffer.
        var push = _server.Requests.Where(r => r.Method == "POST" && r.Service == "git-receive-pack").MaxBy(r => r.RequestBytes)!;
        Assert.Equal(200, push.StatusCode);
        Assert.True(push.RequestBytes > bytes.Length, $"pushed {push.RequestBytes} bytes");
        Assert.Equal("oauth2", push.AuthorizationUser);
        Assert.All(_server.Requests, r => Assert.DoesNotContain(Token, r.PathAndQuery));
        Assert.Equal(0, _server.AuthFailures);
    }

    [Fact]
    public void Ls_remote_speaks_protocol_v2()
    {
        var main = _repo.Commit();
        var output = Git.RunWithEnv(_dir.Path, Auth(Token), "-c", "protocol.version=2", "ls-remote", _server.UrlOf("team/repo"), "refs/heads/*");

        Assert.Equal($"{main}\trefs/heads/main", output);
        Assert.All(_server.Requests, r => Assert.Equal("version=2", r.GitProtocol));
        Assert.Contains(_server.Requests, r => r.Method == "POST" && r.Service == "git-upload-pack" && r.StatusCode == 200);
    }

    [Fact]
    public void Anonymous_access_when_no_token_is_configured()
    {
        var main = _repo.Commit();
        _server.AcceptedTokens.Clear();

        var output = Git.Run(_dir.Path, "ls-remote", _server.UrlOf("team/repo"), "refs/heads/main");

        Assert.StartsWith(main, output);
        Assert.All(_server.Requests, r => Assert.Null(r.AuthorizationUser));
    }

    [Fact]
    public void A_wrong_token_is_answered_401()
    {
        _repo.Commit();

        var (code, _, _) = Git.TryRunWithEnv(_dir.Path, Auth("wrong-token"), "ls-remote", _server.UrlOf("team/repo"));

        Assert.NotEqual(0, code);
        Assert.True(_server.AuthFailures >= 1);
        Assert.All(_server.Requests, r => Assert.Equal(401, r.StatusCode));
    }

    [Fact]
    public void A_pre_receive_hook_rejection_reaches_the_client()
    {
        var main = _repo.Commit();
        var hook = Path.Combine(_repo.BarePath, "hooks", "pre-receive");
        File.WriteAllText(hook, "#!/bin/sh\necho 'GL-HOOK-ERR: pushes are frozen' >&2\nexit 1\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var clone = _dir.Combine("clone");
        Git.RunWithEnv(_dir.Path, Auth(Token), "clone", "--quiet", _server.UrlOf("team/repo"), clone);
        Git.Run(clone, "commit", "--quiet", "--allow-empty", "-m", "refused");

        var (code, _, stderr) = Git.TryRunWithEnv(clone, Auth(Token), "push", "origin", "HEAD:refs/heads/main");

        Assert.NotEqual(0, code);
        Assert.Contains("pushes are frozen", stderr);
        Assert.Contains("pre-receive hook declined", stderr);
        Assert.Equal(main, RepoBuilder.Refs(_repo.BarePath)["refs/heads/main"]);
    }
}
