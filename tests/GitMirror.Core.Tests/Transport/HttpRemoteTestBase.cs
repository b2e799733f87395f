using GitMirror.Core.Transport;
using GitMirror.Testing;

namespace GitMirror.Core.Tests.Transport;

/// <summary>A smart-HTTP server with one repository (team/repo) that wants a token, for the transport tests.</summary>
public abstract class HttpRemoteTestBase : IDisposable
{
    /// <summary>A canary: tests assert it never shows up in URLs, messages or ToString.</summary>
    protected const string Token = "canary-5b1f0e7d-token";
    protected static readonly TimeSpan GenerousTimeout = TimeSpan.FromSeconds(60);

    protected HttpRemoteTestBase()
    {
        Dir = new TempDir();
        Repo = new RepoBuilder(Dir.Combine("root", "team", "repo.git"));
        Server = GitHttpServer.Start(Dir.Combine("root"));
        Server.AcceptedTokens.Add(Token);
    }

    protected TempDir Dir { get; }
    protected RepoBuilder Repo { get; }
    protected GitHttpServer Server { get; }
    protected string RepoUrl => Server.UrlOf("team/repo");
    protected static GitCredential Credential => GitCredential.ForGitLab(Token);

    /// <summary>Makes the server hold every request until the client gives up, like a server that never answers.</summary>
    protected void HangEveryRequest() => Server.Intercept = async context =>
    {
        await Task.Delay(Timeout.Infinite, context.RequestAborted);
        return true;
    };

    protected void AnswerEveryRequest(int status, string? retryAfter = null) => Server.Intercept = context =>
    {
        context.Response.StatusCode = status;
        if (retryAfter is not null) context.Response.Headers.RetryAfter = retryAfter;
        return Task.FromResult(true);
    };

    /// <summary>Installs a pre-receive hook in the served repository that refuses every push.</summary>
    protected void RefusePushesWithHook(string message)
    {
        var hook = Path.Combine(Repo.BarePath, "hooks", "pre-receive");
        File.WriteAllText(hook, $"#!/bin/sh\necho '{message}' >&2\nexit 1\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    public void Dispose()
    {
        Server.Dispose();
        Dir.Dispose();
        GC.SuppressFinalize(this);
    }
}
