using System.Diagnostics;
using System.Text;

namespace GitMirror.CiTemplates.Tests;

/// <summary>Where the templates and the validators are, and what to do when a validator is missing.</summary>
internal static class Tools
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Template(string name) => Path.Combine(RepoRoot, "ci-templates", name);

    public static string GitHubWorkflow => Template("github-mirror.yml");

    public static string GitLabJob => Template("gitlab-mirror.yml");

    /// <summary>The action-validator binary (npm @action-validator/cli), or skip/fail.</summary>
    public static string ActionValidator() => RequireFile(NodeBin("action-validator"), "@action-validator/cli");

    /// <summary>The gitlab-ci-local CLI (npm gitlab-ci-local@4.70.1, needs node and rsync), or skip/fail.</summary>
    public static string GitLabCiLocal()
    {
        RequireOnPath("node", "node (Node 20)");
        RequireOnPath("rsync", "rsync (apt), which gitlab-ci-local copies the project with");
        return RequireFile(NodeBin("gitlab-ci-local"), "gitlab-ci-local@4.70.1");
    }

    /// <summary>Skips (or fails under CI=true) when OpenSSH's sshd and client are missing (apt: openssh-server).</summary>
    public static void RequireSshd()
    {
        if (GitMirror.Testing.SshGitServer.MissingReason() is { } reason) Missing(reason);
    }

    private static string NodeBin(string name) => Path.Combine(RepoRoot, ".tools", "node", "node_modules", ".bin", name);

    private static string RequireFile(string path, string what) =>
        File.Exists(path) ? path : Missing($"{what} is not installed at {path}");

    private static void RequireOnPath(string command, string what)
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, command)));
        if (!found) Missing($"{what} is not on PATH");
    }

    // design.md §2: a missing tool skips with its reason, except under CI=true, where it fails.
    private static string Missing(string reason)
    {
        reason += "; run .ci/install-tools";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(reason + " (CI=true: a missing tool is a failure)");
        }
        Skip.If(true, reason);
        return "";
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GitMirror.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"GitMirror.sln not found above {AppContext.BaseDirectory}");
    }
}

/// <summary>Runs a process with exactly the environment given (plus PATH), combining its output.</summary>
internal static class Proc
{
    public sealed record Result(int ExitCode, string Output);

    public static Result Run(string file, IEnumerable<string> args, string workDir, IDictionary<string, string> env, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        // A clean environment: nothing of the developer's (their real GITHUB_TOKEN, CI variables,
        // git config) may leak into a job and make a test pass or fail by accident.
        psi.Environment.Clear();
        psi.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        psi.Environment["LANG"] = "C.UTF-8";
        psi.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        psi.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        psi.Environment["GIT_TERMINAL_PROMPT"] = "0";
        foreach (var (k, v) in env) psi.Environment[k] = v;

        var output = new StringBuilder();
        using var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.Start();
        p.StandardInput.Close();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!p.WaitForExit(timeout ?? TimeSpan.FromMinutes(2)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} timed out:\n{output}");
        }
        p.WaitForExit(); // drains the async readers
        lock (output) return new Result(p.ExitCode, output.ToString());
    }
}
