using GitMirror.Core.Config;
using GitMirror.Core.Engine;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.Core.Tests.Lfs;

/// <summary>
/// End to end with the real git-lfs client (Debian's git-lfs, installed by .ci/install-tools): what a
/// developer pushes with git-lfs on one side is what a clone with git-lfs checks out on the other.
/// </summary>
public sealed class GitLfsClientTests
{
    private static void RequireGitLfs()
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, "git-lfs")));
        if (found) return;
        const string reason = "git-lfs is not on PATH (apt-get install git-lfs; run .ci/install-tools)";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(reason + " (CI=true: a missing tool is a failure)");
        }
        Skip.If(true, reason);
    }

    /// <summary>git with the LFS filters of this repository only (no global config is read).</summary>
    private static readonly string[] LfsFilters =
    [
        "-c", "filter.lfs.clean=git-lfs clean -- %f", "-c", "filter.lfs.smudge=git-lfs smudge -- %f",
        "-c", "filter.lfs.process=git-lfs filter-process", "-c", "filter.lfs.required=true",
    ];

    private static string Lfs(string workDir, IDictionary<string, string>? env, params string[] args) =>
        Git.RunWithEnv(workDir, env, [.. LfsFilters, .. args]);

    /// <summary>A developer's commit with a tracked .bin file, pushed with git-lfs; returns the file's content.</summary>
    private static byte[] PushWithGitLfs(string scratch, string remote, IDictionary<string, string>? auth)
    {
        Directory.CreateDirectory(scratch);
        Git.Run(scratch, "init", "--quiet", "--initial-branch=main");
        Lfs(scratch, null, "lfs", "install", "--local");
        Lfs(scratch, null, "lfs", "track", "*.bin");
        var content = System.Security.Cryptography.RandomNumberGenerator.GetBytes(300_000);
        File.WriteAllBytes(Path.Combine(scratch, "model.bin"), content);
        Lfs(scratch, null, "add", ".gitattributes", "model.bin");
        Lfs(scratch, null, "commit", "--quiet", "-m", "model");
        Lfs(scratch, auth, "push", "--quiet", remote, "main");
        return content;
    }

    private static byte[] CloneWithGitLfs(string scratch, string remote, IDictionary<string, string>? auth)
    {
        Lfs(Path.GetDirectoryName(scratch)!, auth, "clone", "--quiet", remote, scratch);
        return File.ReadAllBytes(Path.Combine(scratch, "model.bin"));
    }

    [SkippableFact]
    public async Task What_git_lfs_pushed_to_GitHub_checks_out_from_GitLab()
    {
        RequireGitLfs();
        using var http = new HttpMirrorWorld();
        using var lfs = LfsServer.Attach(http.Server, http.World.Root);
        http.World.AddPair("app");
        var content = PushWithGitLfs(Path.Combine(http.World.Root, "dev"), http.Server.UrlOf("github/org/app"),
            GitHttpServer.GitAuthEnvironment("dev", http.GitHubToken));
        Assert.Contains(lfs.Requests, r => r.Method == "PUT"); // git-lfs uploaded to the test server

        var pair = ConfigLoader.Load(http.World.ConfigPath).Pairs.Single();
        var outcome = await new MirrorEngine(NullMirrorLog.Instance).SyncAsync(pair, _ => true, CancellationToken.None);

        Assert.Equal(MirrorSyncStatus.Synced, outcome.Result.Status);
        Assert.Equal(content, CloneWithGitLfs(Path.Combine(http.World.Root, "clone"), http.Server.UrlOf("gitlab/group/app"),
            GitHttpServer.GitAuthEnvironment("reader", http.GitLabToken)));
    }

    [SkippableFact]
    public async Task A_local_target_serves_its_objects_to_git_lfs()
    {
        RequireGitLfs();
        using var world = new MirrorWorld();
        var (github, gitlab) = world.AddPair("app");
        var content = PushWithGitLfs(Path.Combine(world.Root, "dev"), "file://" + github.BarePath, null);

        var pair = ConfigLoader.Load(world.ConfigPath).Pairs.Single();
        var outcome = await new MirrorEngine(NullMirrorLog.Instance).SyncAsync(pair, _ => true, CancellationToken.None);

        Assert.Equal(MirrorSyncStatus.Synced, outcome.Result.Status);
        Assert.Equal(content, CloneWithGitLfs(Path.Combine(world.Root, "clone"), "file://" + gitlab.BarePath, null));
    }
}
