using System.Text;
using GitMirror.Testing;
using YamlDotNet.RepresentationModel;

namespace GitMirror.CiTemplates.Tests;

/// <summary>
/// Issue 12, item 7: GitLab's CI_DEBUG_TRACE runs the job script under <c>sh -x</c>; the token,
/// raw or Basic-encoded, must not reach the trace.
/// </summary>
public sealed class DebugTraceTests
{
    [Fact]
    public void The_GitLab_job_under_sh_x_prints_no_form_of_the_token()
    {
        using var dir = new TempDir("gitmirror-trace");
        var work = dir.Combine("work");
        Directory.CreateDirectory(work);
        Git.Run(work, "init", "--quiet", "--initial-branch=main");
        Git.Run(work, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "--allow-empty", "-m", "one");
        var sha = Git.Run(work, "rev-parse", "HEAD").Trim();
        var job = (YamlMappingNode)Load(Tools.GitLabJob)["gitmirror"];
        var script = dir.Combine("job.sh");
        File.WriteAllText(script, string.Join('\n', ((YamlSequenceNode)job["script"]).Cast<YamlScalarNode>().Select(s => s.Value)));
        const string token = "ghp_CANARYtrace0123456789abcdef";

        var result = Proc.Run("/bin/sh", ["-x", script], work, new Dictionary<string, string>
        {
            ["GITHUB_TOKEN"] = token,
            ["GITHUB_REPO"] = "acme/app",
            // Nothing listens there: the push fails at once, after the credential has been handled.
            ["GITHUB_URL"] = "http://127.0.0.1:9",
            ["CI_COMMIT_SHA"] = sha,
            ["CI_COMMIT_BRANCH"] = "main",
        });

        Assert.Contains("+ set +x", result.Output); // the trace was on when the script started
        Assert.DoesNotContain(token, result.Output);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes("x-access-token:" + token)), result.Output);
    }

    private static YamlMappingNode Load(string path)
    {
        var yaml = new YamlStream();
        using var reader = File.OpenText(path);
        yaml.Load(reader);
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }
}
