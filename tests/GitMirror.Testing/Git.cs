using System.Diagnostics;
using System.Text;

namespace GitMirror.Testing;

/// <summary>Runs the real git CLI: tests check results the way a user would.</summary>
public static class Git
{
    /// <summary>Runs git in <paramref name="workDir"/>; throws with git's stderr when it fails.</summary>
    public static string Run(string workDir, params string[] args) => RunWithEnv(workDir, null, args);

    public static string RunWithEnv(string workDir, IDictionary<string, string>? env, params string[] args)
    {
        var (code, stdout, stderr) = TryRunWithEnv(workDir, env, args);
        if (code != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', args)} failed ({code}) in {workDir}:\n{stderr}{stdout}");
        }
        return stdout.TrimEnd('\n');
    }

    public static (int Code, string Stdout, string Stderr) TryRun(string workDir, params string[] args) => TryRunWithEnv(workDir, null, args);

    public static (int Code, string Stdout, string Stderr) TryRunWithEnv(string workDir, IDictionary<string, string>? env, params string[] args)
    {
        var psi = new ProcessStartInfo("git")
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        // Reproducible commits, no user config, no prompts.
        psi.Environment["GIT_AUTHOR_NAME"] = "Test Author";
        psi.Environment["GIT_AUTHOR_EMAIL"] = "author@example.com";
        psi.Environment["GIT_COMMITTER_NAME"] = "Test Committer";
        psi.Environment["GIT_COMMITTER_EMAIL"] = "committer@example.com";
        psi.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        psi.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        psi.Environment["GIT_TERMINAL_PROMPT"] = "0";
        if (env is not null)
        {
            foreach (var (k, v) in env) psi.Environment[k] = v;
        }
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdoutTask = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdoutTask.Result, stderr);
    }
}
