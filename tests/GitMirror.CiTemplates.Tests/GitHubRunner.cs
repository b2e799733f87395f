using System.Text;
using GitMirror.Testing;
using YamlDotNet.RepresentationModel;

namespace GitMirror.CiTemplates.Tests;

/// <summary>A push event as GitHub delivers it to the workflow.</summary>
internal sealed record GitHubPush(string Ref, string Sha, string Actor, bool Deleted = false)
{
    public bool IsTag => Ref.StartsWith("refs/tags/", StringComparison.Ordinal);
    public string RefName => Ref[(IsTag ? "refs/tags/" : "refs/heads/").Length..];
}

/// <summary>What a job run left behind: whether the job's `if:` let it run, its exit code and its log as the runner shows it.</summary>
internal sealed record JobRun(bool Ran, int ExitCode, string Log)
{
    public bool Succeeded => Ran && ExitCode == 0;
}

/// <summary>
/// Runs the workflow's single job the way a GitHub-hosted runner does, far enough to test it:
/// evaluates the job `if:` with the event's contexts, emulates actions/checkout v4 (including its
/// habit of rewriting the triggering annotated tag as a lightweight one, actions/checkout#290),
/// then runs each `run:` step with the runner's variables and the step's `env:` resolved, under the
/// step's shell. The log drops `::add-mask::` commands, as the runner does.
/// </summary>
internal sealed class GitHubRunner
{
    private readonly YamlMappingNode _job;

    public GitHubRunner(string workflowPath)
    {
        var yaml = new YamlStream();
        using (var reader = File.OpenText(workflowPath)) yaml.Load(reader);
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var jobs = (YamlMappingNode)root["jobs"];
        Assert.Single(jobs.Children); // the emulation below assumes one job
        _job = (YamlMappingNode)jobs.Children.Single().Value;
    }

    public required string OriginUrl { get; init; }

    /// <summary>The run's automatic token (github.token): the emulated checkout fetches with it.</summary>
    public required string ActionsToken { get; init; }

    public Dictionary<string, string> Vars { get; init; } = [];

    public Dictionary<string, string> Secrets { get; init; } = [];

    public JobRun Run(GitHubPush push, string workspace)
    {
        Func<string, object?> context = name => name switch
        {
            "github" => new Dictionary<string, object?>
            {
                ["actor"] = push.Actor,
                ["ref"] = push.Ref,
                ["ref_name"] = push.RefName,
                ["ref_type"] = push.IsTag ? "tag" : "branch",
                ["sha"] = push.Sha,
                ["token"] = ActionsToken,
                ["event_name"] = "push",
                ["event"] = new Dictionary<string, object?> { ["deleted"] = push.Deleted, ["ref"] = push.Ref },
            },
            "vars" => Vars.ToDictionary(kv => kv.Key, kv => (object?)kv.Value),
            "secrets" => Secrets.ToDictionary(kv => kv.Key, kv => (object?)kv.Value),
            _ => throw new FormatException($"context '{name}' is not emulated"),
        };

        if (_job.Children.TryGetValue(new YamlScalarNode("if"), out var condition) &&
            !GitHubExpression.EvaluateCondition(((YamlScalarNode)condition).Value!, context))
        {
            return new JobRun(false, 0, "");
        }

        Directory.CreateDirectory(workspace);
        var temp = Path.Combine(workspace, "..", Path.GetFileName(workspace) + ".runner-temp");
        Directory.CreateDirectory(temp);
        var log = new StringBuilder();
        var runnerEnv = new Dictionary<string, string>
        {
            ["CI"] = "true",
            ["GITHUB_ACTIONS"] = "true",
            ["GITHUB_EVENT_NAME"] = "push",
            ["GITHUB_ACTOR"] = push.Actor,
            ["GITHUB_REF"] = push.Ref,
            ["GITHUB_REF_NAME"] = push.RefName,
            ["GITHUB_REF_TYPE"] = push.IsTag ? "tag" : "branch",
            ["GITHUB_SHA"] = push.Sha,
            ["GITHUB_WORKSPACE"] = workspace,
            ["RUNNER_TEMP"] = temp,
            ["HOME"] = temp,
        };

        foreach (var stepNode in (YamlSequenceNode)_job["steps"])
        {
            var step = (YamlMappingNode)stepNode;
            var uses = Scalar(step, "uses");
            if (uses is not null)
            {
                Assert.StartsWith("actions/checkout@", uses); // the only action the template may use
                var checkout = Checkout(push, workspace, Map(step, "with"));
                log.Append(checkout.Output);
                if (checkout.ExitCode != 0) return new JobRun(true, checkout.ExitCode, log.ToString());
                continue;
            }

            var script = Scalar(step, "run") ?? throw new InvalidOperationException("a step with neither uses nor run");
            var env = new Dictionary<string, string>(runnerEnv);
            foreach (var (k, v) in Map(step, "env")) env[k] = GitHubExpression.Interpolate(v, context);
            var scriptFile = Path.Combine(temp, $"step-{Guid.NewGuid():N}.sh");
            File.WriteAllText(scriptFile, script);
            // The runner's command lines for the shells a template may name (default: bash -e).
            string[] command = Scalar(step, "shell") switch
            {
                "bash" => ["bash", "--noprofile", "--norc", "-eo", "pipefail", scriptFile],
                "sh" => ["sh", "-e", scriptFile],
                null => ["bash", "-e", scriptFile],
                var other => throw new InvalidOperationException($"shell '{other}' is not emulated"),
            };
            var result = Proc.Run(command[0], command[1..], workspace, env);
            // The runner consumes workflow commands that register masks; they never reach the log.
            log.Append(string.Join('\n', result.Output.Split('\n').Where(l => !l.StartsWith("::add-mask::", StringComparison.Ordinal))));
            if (result.ExitCode != 0) return new JobRun(true, result.ExitCode, log.ToString());
        }
        return new JobRun(true, 0, log.ToString());
    }

    /// <summary>actions/checkout v4 for a push event, with its inputs (fetch-depth default 1, persist-credentials default true).</summary>
    private Proc.Result Checkout(GitHubPush push, string workspace, Dictionary<string, string> with)
    {
        var depth = int.Parse(with.GetValueOrDefault("fetch-depth", "1"));
        var persist = !string.Equals(with.GetValueOrDefault("persist-credentials", "true"), "false", StringComparison.OrdinalIgnoreCase);
        var header = "AUTHORIZATION: basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"x-access-token:{ActionsToken}"));
        var auth = new Dictionary<string, string>
        {
            ["GIT_CONFIG_COUNT"] = "1",
            ["GIT_CONFIG_KEY_0"] = "http.extraHeader",
            ["GIT_CONFIG_VALUE_0"] = header,
        };
        var output = new StringBuilder();
        int Git(params string[] args)
        {
            var r = Git_(workspace, auth, args);
            output.Append(r.Stdout).Append(r.Stderr);
            return r.Code;
        }

        var target = push.IsTag ? $"refs/tags/{push.RefName}" : $"refs/remotes/origin/{push.RefName}";
        var steps = new List<string[]>
        {
            new[] { "init", "--quiet" },
            new[] { "remote", "add", "origin", OriginUrl },
        };
        if (depth == 0)
        {
            steps.Add(["fetch", "--quiet", "--prune", "--no-recurse-submodules", "origin", "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"]);
            // checkout then re-fetches the event's commit into the ref unless the ref already
            // equals that commit, which an annotated tag never does: the tag turns lightweight.
            steps.Add(["update-ref", target, push.Sha]);
        }
        else
        {
            steps.Add(["fetch", "--quiet", "--no-tags", $"--depth={depth}", "origin", $"+{push.Sha}:{target}"]);
        }
        steps.Add(push.IsTag
            ? ["checkout", "--quiet", "--force", "--detach", target]
            : ["checkout", "--quiet", "--force", "-B", push.RefName, target]);
        if (persist) steps.Add(["config", "--local", "http.extraheader", header]);

        foreach (var args in steps)
        {
            var code = Git(args);
            if (code != 0) return new Proc.Result(code, output.ToString());
        }
        return new Proc.Result(0, output.ToString());
    }

    private static (int Code, string Stdout, string Stderr) Git_(string dir, Dictionary<string, string> env, string[] args) =>
        Git.TryRunWithEnv(dir, env, args);

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var v) ? ((YamlScalarNode)v).Value : null;

    private static Dictionary<string, string> Map(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var v)
            ? ((YamlMappingNode)v).Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => ((YamlScalarNode)kv.Value).Value ?? "")
            : [];
}
