using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace GitMirror.CiTemplates.Tests;

/// <summary>Security and correctness rules read straight off the template files.</summary>
public sealed class StaticTemplateTests
{
    private static YamlMappingNode Load(string path)
    {
        var yaml = new YamlStream();
        using var reader = File.OpenText(path);
        yaml.Load(reader);
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    private static IEnumerable<YamlMappingNode> GitHubSteps() =>
        ((YamlMappingNode)Load(Tools.GitHubWorkflow)["jobs"]).Children.Values
            .SelectMany(job => (YamlSequenceNode)((YamlMappingNode)job)["steps"]).Cast<YamlMappingNode>();

    private static string? Get(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var v) ? (v as YamlScalarNode)?.Value : null;

    /// <summary>A tag can be moved to other code by whoever controls the action's repository; a commit id cannot.</summary>
    [Fact]
    public void Every_action_of_the_templates_and_of_this_repository_s_own_workflows_is_pinned_by_full_commit_sha()
    {
        var files = Directory.GetFiles(Path.Combine(Tools.RepoRoot, ".github", "workflows"), "*.yml")
            .Append(Tools.GitHubWorkflow).ToList();
        var uses = files.SelectMany(f => File.ReadLines(f).Select(l => (File: Path.GetFileName(f), Line: l)))
            .Select(x => (x.File, Match: Regex.Match(x.Line, @"^\s*(-\s+)?uses:\s*(?<action>\S+)(?<rest>.*)$")))
            .Where(x => x.Match.Success)
            .ToList();
        Assert.NotEmpty(uses);
        Assert.All(uses, x =>
        {
            var action = x.Match.Groups["action"].Value;
            Assert.True(action.StartsWith("./", StringComparison.Ordinal) || Regex.IsMatch(action, "^[^@]+@[0-9a-f]{40}$"), $"{x.File}: {action} is not pinned by commit SHA");
            Assert.Matches(@"#\s*v\d", x.Match.Groups["rest"].Value); // the tag the SHA stands for, for the next update
        });
    }

    [Fact]
    public void NoExpressionInsideAnyRunScript()
    {
        var scripts = GitHubSteps().Select(s => Get(s, "run")).OfType<string>().ToList();
        Assert.NotEmpty(scripts);
        // ${{ }} is pasted into the script before the shell parses it: ref names would become code.
        Assert.All(scripts, script => Assert.DoesNotContain("${{", script));
    }

    [Fact]
    public void NoPullRequestTarget_OnlyPushTriggers()
    {
        Assert.DoesNotContain("pull_request_target", File.ReadAllText(Tools.GitHubWorkflow));
        var on = (YamlMappingNode)Load(Tools.GitHubWorkflow)["on"];
        Assert.Equal(["push"], on.Children.Keys.Select(k => ((YamlScalarNode)k).Value));
    }

    [Fact]
    public void Checkout_FetchesFullHistory_AndPersistsNoCredentials()
    {
        var checkout = Assert.Single(GitHubSteps(), s => Get(s, "uses")?.StartsWith("actions/checkout@") == true);
        var with = (YamlMappingNode)checkout["with"];
        Assert.Equal("0", Get(with, "fetch-depth"));
        Assert.Equal("false", Get(with, "persist-credentials"));
        Assert.Matches(@"(?m)^\s+fetch-depth: 0\b", File.ReadAllText(Tools.GitHubWorkflow));
        Assert.Matches(@"(?m)^\s+persist-credentials: false\b", File.ReadAllText(Tools.GitHubWorkflow));
    }

    [Fact]
    public void GitLabJob_ClonesFullHistory_OneRunPerRef_OnlyPushes()
    {
        var text = File.ReadAllText(Tools.GitLabJob);
        Assert.Matches(@"(?m)^\s+GIT_DEPTH: ""0""", text);
        var job = (YamlMappingNode)Load(Tools.GitLabJob)["gitmirror"];
        Assert.Equal("0", Get((YamlMappingNode)job["variables"], "GIT_DEPTH"));
        Assert.Contains("$CI_COMMIT_REF_NAME", Get(job, "resource_group"));
        Assert.Contains("$CI_PIPELINE_SOURCE != \"push\"", text);
    }

    [Fact]
    public void GitHubWorkflow_OneRunPerRef()
    {
        var concurrency = (YamlMappingNode)Load(Tools.GitHubWorkflow)["concurrency"];
        Assert.Contains("github.ref", Get(concurrency, "group"));
        Assert.Equal("false", Get(concurrency, "cancel-in-progress"));
    }

    [Theory]
    [InlineData("github-mirror.yml")]
    [InlineData("gitlab-mirror.yml")]
    public void TokensNeverInUrls_PushesNeverForced(string template)
    {
        var text = File.ReadAllText(Tools.Template(template));
        // No credentials in a URL (https://user:$TOKEN@host or https://$TOKEN@host).
        Assert.DoesNotMatch(@"://[^\s""']*\$\{?\w*TOKEN", text);
        var pushes = text.Split('\n').Where(l => Regex.IsMatch(l, @"\bpush\b") && l.Contains("git") || l.Contains("as_target push")).ToList();
        Assert.NotEmpty(pushes);
        Assert.All(pushes, l => Assert.DoesNotMatch(@"--force|\s-f\b|--mirror|--prune|--delete|--all|""\+", l));
        // No tracing that would print the Authorization header.
        Assert.DoesNotMatch(@"set -x|GIT_TRACE|GIT_CURL_VERBOSE", text);
    }

    [Theory]
    [InlineData("github-mirror.yml", "GITLAB_DEPLOY_KEY", "gitlab.com", "GITLAB_TOKEN")]
    [InlineData("gitlab-mirror.yml", "GITHUB_DEPLOY_KEY", "github.com", "GITHUB_TOKEN")]
    public void Pushes_use_the_deploy_key_over_ssh_with_pinned_host_keys_never_a_bot_token(string template, string key, string host, string token)
    {
        var text = File.ReadAllText(Tools.Template(template));
        Assert.Contains(key, text);
        Assert.DoesNotContain(token, text); // the bot's token is no CI secret any more
        Assert.Contains("StrictHostKeyChecking=yes", text);
        Assert.Contains("IdentitiesOnly=yes", text);
        Assert.Contains("GlobalKnownHostsFile=/dev/null", text);
        Assert.DoesNotMatch(@"StrictHostKeyChecking=(no|accept-new|off)|ssh-keyscan|UserKnownHostsFile=/dev/null", text);
        // The published host keys, one line per type (ed25519, ECDSA, RSA), with where they come from.
        Assert.Equal(3, Regex.Matches(text, $@"(?m)^\s+{Regex.Escape(host)} (ssh-ed25519|ecdsa-sha2-nistp256|ssh-rsa) AAAA[A-Za-z0-9+/=]+$").Count);
        Assert.Contains(host == "github.com" ? "docs.github.com/en/authentication" : "docs.gitlab.com/user/gitlab_com", text);
        Assert.Contains("umask 077", text);
        Assert.Contains("trap 'rm -rf \"$ssh_dir\"' EXIT", text);
    }

    [Fact]
    public void GitLabScript_IsPosixSh()
    {
        // The job image may have only busybox/dash sh, not bash: the script must parse there.
        var job = (YamlMappingNode)Load(Tools.GitLabJob)["gitmirror"];
        var script = string.Join('\n', ((YamlSequenceNode)job["script"]).Cast<YamlScalarNode>().Select(s => s.Value));
        Assert.Contains("git", script);
        using var dir = new GitMirror.Testing.TempDir("gitmirror-ci");
        var file = dir.Combine("script.sh");
        File.WriteAllText(file, script);
        var shell = File.Exists("/bin/dash") ? "/bin/dash" : "/bin/sh";
        var result = Proc.Run(shell, ["-n", file], dir.Path, new Dictionary<string, string>());
        Assert.True(result.ExitCode == 0, result.Output);
    }
}
