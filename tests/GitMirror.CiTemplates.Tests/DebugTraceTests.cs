using GitMirror.Core.Bootstrap;
using GitMirror.Testing;
using YamlDotNet.RepresentationModel;

namespace GitMirror.CiTemplates.Tests;

/// <summary>
/// The GitLab job's script run as it is, by sh: issue 12 item 7 (CI_DEBUG_TRACE runs it under
/// <c>sh -x</c>; no form of the credential may reach the trace) and how it hands the deploy key
/// to ssh (an owner-only file, removed afterwards; only that key; pinned host keys).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // the job runs under sh on Linux runners
public sealed class DebugTraceTests
{
    private readonly DeployKeyPair _key = DeployKeyPair.Generate("gitmirror");

    [Fact]
    public void The_GitLab_job_under_sh_x_prints_no_form_of_the_deploy_key()
    {
        using var dir = new TempDir("gitmirror-trace");
        var (work, sha, script) = Setup(dir);

        var result = Proc.Run("/bin/sh", ["-x", script], work, new Dictionary<string, string>
        {
            ["GITHUB_DEPLOY_KEY"] = _key.SecretValue,
            ["GITHUB_REPO"] = "acme/app",
            // Nothing listens there: the push fails at once, after the key has been handled.
            ["GITHUB_SSH_URL"] = "ssh://git@127.0.0.1:9/acme/app.git",
            ["CI_COMMIT_SHA"] = sha,
            ["CI_COMMIT_BRANCH"] = "main",
            ["TMPDIR"] = dir.Path,
        });

        Assert.Contains("+ set +x", result.Output); // the trace was on when the script started
        Assert.NotEqual(0, result.ExitCode);
        Forges.AssertNoKeyIn(_key, result.Output);
    }

    [Fact]
    public void The_GitLab_job_hands_ssh_an_owner_only_key_file_pinned_host_keys_and_no_other_identity()
    {
        using var dir = new TempDir("gitmirror-sshargs");
        var (work, sha, script) = Setup(dir);
        // A stand-in ssh first on PATH records what git's GIT_SSH_COMMAND gives it, then fails.
        var bin = dir.Combine("bin");
        var seen = dir.Combine("seen");
        Directory.CreateDirectory(bin);
        Directory.CreateDirectory(seen);
        File.WriteAllText(Path.Combine(bin, "ssh"), """
            #!/bin/sh
            printf '%s\n' "$@" >"$SEEN/args"
            prev=
            for a in "$@"; do
              [ "$prev" = -i ] && { stat -c %a "$a" >"$SEEN/mode"; head -n 1 "$a" >"$SEEN/first"; }
              case "$a" in UserKnownHostsFile=*) cp "${a#UserKnownHostsFile=}" "$SEEN/known_hosts" ;; esac
              prev=$a
            done
            echo "stand-in ssh: no connection" >&2
            exit 255

            """.ReplaceLineEndings("\n"));
        File.SetUnixFileMode(Path.Combine(bin, "ssh"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var temp = dir.Combine("tmp");
        Directory.CreateDirectory(temp);

        var result = Proc.Run("/bin/sh", [script], work, new Dictionary<string, string>
        {
            ["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH"),
            ["SEEN"] = seen,
            ["GITHUB_DEPLOY_KEY"] = _key.SecretValue,
            ["GITHUB_REPO"] = "acme/app",
            ["MIRROR_SSH_KNOWN_HOSTS"] = "[ghe.example]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
            ["CI_COMMIT_SHA"] = sha,
            ["CI_COMMIT_BRANCH"] = "main",
            ["TMPDIR"] = temp,
            ["SSH_AUTH_SOCK"] = dir.Combine("agent.sock"),
        });

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("cannot reach git@github.com:acme/app.git over SSH", result.Output); // default target from GITHUB_URL's default
        var args = File.ReadAllLines(Path.Combine(seen, "args"));
        Assert.Contains("IdentitiesOnly=yes", args);
        Assert.Contains("StrictHostKeyChecking=yes", args);
        Assert.Contains("BatchMode=yes", args);
        Assert.Contains("GlobalKnownHostsFile=/dev/null", args);
        Assert.Contains("git@github.com", args);
        Forges.AssertNoKeyIn(_key, string.Join('\n', args)); // a path, never the key itself
        Assert.Equal("600", File.ReadAllText(Path.Combine(seen, "mode")).Trim());
        Assert.Equal("-----BEGIN EC PRIVATE KEY-----", File.ReadAllText(Path.Combine(seen, "first")).Trim());
        var knownHosts = File.ReadAllText(Path.Combine(seen, "known_hosts"));
        Assert.Contains("github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl", knownHosts);
        Assert.Contains("[ghe.example]:2222 ssh-ed25519", knownHosts);
        // The key and known_hosts are gone once the job ends.
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp));
    }

    private static (string Work, string Sha, string Script) Setup(TempDir dir)
    {
        var work = dir.Combine("work");
        Directory.CreateDirectory(work);
        Git.Run(work, "init", "--quiet", "--initial-branch=main");
        Git.Run(work, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "--allow-empty", "-m", "one");
        var sha = Git.Run(work, "rev-parse", "HEAD").Trim();
        var job = (YamlMappingNode)Load(Tools.GitLabJob)["gitmirror"];
        var script = dir.Combine("job.sh");
        File.WriteAllText(script, string.Join('\n', ((YamlSequenceNode)job["script"]).Cast<YamlScalarNode>().Select(s => s.Value)));
        return (work, sha, script);
    }

    private static YamlMappingNode Load(string path)
    {
        var yaml = new YamlStream();
        using var reader = File.OpenText(path);
        yaml.Load(reader);
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }
}
