namespace GitMirror.Testing;

/// <summary>
/// A <see cref="MirrorWorld"/> served over smart HTTP by a <see cref="GitHttpServer"/>, with a token
/// per side in uniquely named environment variables (tests run in parallel in one process). Use it
/// whenever server behaviour matters: hooks and leases (libgit2's local transport runs no hooks).
/// </summary>
public sealed class HttpMirrorWorld : IDisposable
{
    public HttpMirrorWorld()
    {
        Server = GitHttpServer.Start(World.Root);
        Server.AcceptedTokens.Add(GitHubToken);
        Server.AcceptedTokens.Add(GitLabToken);
        World.GitHubTokenEnv = "GM_TEST_GH_" + Guid.NewGuid().ToString("N");
        World.GitLabTokenEnv = "GM_TEST_GL_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(World.GitHubTokenEnv, GitHubToken);
        Environment.SetEnvironmentVariable(World.GitLabTokenEnv, GitLabToken);
        World.GitHubUrl = Server.BaseUrl + "/github";
        World.GitLabUrl = Server.BaseUrl + "/gitlab";
    }

    public MirrorWorld World { get; } = new();

    public GitHttpServer Server { get; }

    public string GitHubToken { get; } = "ghp_CANARY" + Guid.NewGuid().ToString("N");

    public string GitLabToken { get; } = "glpat-CANARY" + Guid.NewGuid().ToString("N");

    /// <summary>Installs an executable hook script (e.g. "update") in a bare repository; it runs on pushes over HTTP.</summary>
    public static void InstallHook(string barePath, string name, string script)
    {
        var hook = Path.Combine(barePath, "hooks", name);
        File.WriteAllText(hook, script);
        // git on Windows runs hooks without an executable bit.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(World.GitHubTokenEnv, null);
        Environment.SetEnvironmentVariable(World.GitLabTokenEnv, null);
        Server.Dispose();
        World.Dispose();
    }
}
