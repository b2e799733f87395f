using GitMirror.Core.Report;
using Xunit;
using static GitMirror.Core.Tests.Report.TestData;

namespace GitMirror.Core.Tests.Report;

public class SecretRedactorTests
{
    [Fact]
    public void Masks_the_tokens_named_by_the_pairs_environment_variables()
    {
        var github = "GITMIRROR_TEST_GH_" + Guid.NewGuid().ToString("N");
        var gitlab = "GITMIRROR_TEST_GL_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(github, "ghp_one");
        Environment.SetEnvironmentVariable(gitlab, "glpat+two/x");
        try
        {
            var redactor = SecretRedactor.ForPairs([WithTokens(github, gitlab), WithTokens(github + "_UNSET", gitlab + "_UNSET")]);
            Assert.Equal("a *** b *** c *** d", redactor.Redact("a ghp_one b glpat+two/x c glpat%2Btwo%2Fx d"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(github, null);
            Environment.SetEnvironmentVariable(gitlab, null);
        }
    }

    private static MirrorPair WithTokens(string githubEnv, string gitlabEnv)
    {
        var pair = Pair();
        return new MirrorPair
        {
            Name = pair.Name, GitHub = pair.GitHub, GitLab = pair.GitLab, GitHubUrl = pair.GitHubUrl,
            GitLabUrl = pair.GitLabUrl, ConfigPath = pair.ConfigPath, CachePath = pair.CachePath,
            GitHubTokenEnv = githubEnv, GitLabTokenEnv = gitlabEnv,
        };
    }

    [Fact]
    public void A_token_containing_another_is_masked_whole_and_empty_values_are_ignored()
    {
        var redactor = new SecretRedactor(["abc", "abcdef", "", "  ", null]);
        Assert.Equal("x *** y ***", redactor.Redact("x abcdef y abc"));
        Assert.Null(redactor.Redact(null));
        Assert.Equal("", redactor.Redact(""));
        Assert.Equal("nothing here", SecretRedactor.None.Redact("nothing here"));
    }
}
