using GitMirror.Core.Bootstrap;
using Xunit;

namespace GitMirror.Core.Tests.Bootstrap;

public class CiFilesComposerTests
{
    public static TheoryData<string, string?, string> Cases => new()
    {
        { "no file", null, "include:\n  - local: .gitlab/gitmirror.gitlab-ci.yml\n" },
        { "blank file", "\n", "include:\n  - local: .gitlab/gitmirror.gitlab-ci.yml\n" },
        {
            "no include: appended, comments kept",
            "# build pipeline\nstages: [build]\n\nbuild:\n  script: make # fast\n",
            "# build pipeline\nstages: [build]\n\nbuild:\n  script: make # fast\n\ninclude:\n  - local: .gitlab/gitmirror.gitlab-ci.yml\n"
        },
        {
            "no trailing newline",
            "build:\n  script: make",
            "build:\n  script: make\n\ninclude:\n  - local: .gitlab/gitmirror.gitlab-ci.yml\n"
        },
        {
            "include as a string, with a comment",
            "include: 'ci/common.yml' # shared\nbuild:\n  script: make\n",
            "include: # shared\n  - 'ci/common.yml'\n  - local: .gitlab/gitmirror.gitlab-ci.yml\nbuild:\n  script: make\n"
        },
        {
            "include as a flow list",
            "include: [a.yml, b.yml]\n",
            "include: [a.yml, b.yml, {local: .gitlab/gitmirror.gitlab-ci.yml}]\n"
        },
        {
            "include as a block list with comments",
            "include:\n  # shared jobs\n  - local: ci/a.yml\n  - project: grp/tpl\n    file: /t.yml\n\n# jobs\nbuild:\n  script: make\n",
            "include:\n  # shared jobs\n  - local: ci/a.yml\n  - project: grp/tpl\n    file: /t.yml\n  - local: .gitlab/gitmirror.gitlab-ci.yml\n\n# jobs\nbuild:\n  script: make\n"
        },
        {
            "include as a list at column 0",
            "include:\n- local: ci/a.yml\nbuild:\n  script: make\n",
            "include:\n- local: ci/a.yml\n- local: .gitlab/gitmirror.gitlab-ci.yml\nbuild:\n  script: make\n"
        },
        {
            "include as a single mapping",
            "include:\n  remote: https://example.com/ci.yml\nbuild:\n  script: make\n",
            "include:\n  - remote: https://example.com/ci.yml\n  - local: .gitlab/gitmirror.gitlab-ci.yml\nbuild:\n  script: make\n"
        },
        {
            "include of a mapping with two keys",
            "include:\n  project: grp/tpl\n  file: /t.yml\n",
            "include:\n  - project: grp/tpl\n    file: /t.yml\n  - local: .gitlab/gitmirror.gitlab-ci.yml\n"
        },
        {
            "CRLF kept",
            "include:\r\n  - local: ci/a.yml\r\n",
            "include:\r\n  - local: ci/a.yml\r\n  - local: .gitlab/gitmirror.gitlab-ci.yml\r\n"
        },
        {
            "commented-out include is not an include",
            "# include: old.yml\nbuild:\n  script: make\n",
            "# include: old.yml\nbuild:\n  script: make\n\ninclude:\n  - local: .gitlab/gitmirror.gitlab-ci.yml\n"
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Adds_the_include_preserving_everything_else(string name, string? current, string expected)
    {
        Assert.True(name.Length > 0);
        Assert.Equal(expected, CiFilesComposer.AddInclude(current));
    }

    [Theory]
    [InlineData("include:\n  - local: .gitlab/gitmirror.gitlab-ci.yml\n")]
    [InlineData("include:\n  - local: '/.gitlab/gitmirror.gitlab-ci.yml' # mirror\n")]
    [InlineData("include: .gitlab/gitmirror.gitlab-ci.yml\n")]
    [InlineData("include:\n  - \".gitlab/gitmirror.gitlab-ci.yml\"\n")]
    [InlineData("include: [a.yml, {local: .gitlab/gitmirror.gitlab-ci.yml}]\n")]
    public void Leaves_a_file_that_includes_it_already_unchanged(string current) =>
        Assert.Same(current, CiFilesComposer.AddInclude(current));

    [Fact]
    public void Composing_twice_changes_nothing_the_second_time()
    {
        var once = CiFilesComposer.AddInclude("include: 'ci/common.yml'\nbuild:\n  script: make\n");
        Assert.Same(once, CiFilesComposer.AddInclude(once));
    }
}

public class CiFilesPlanTests
{
    [Fact]
    public void Templates_are_embedded_and_the_plan_writes_only_what_differs()
    {
        Assert.Contains("vars.MIRROR_BOT_USER", CiFiles.GitHubWorkflowTemplate);
        Assert.Contains("GITHUB_REPO", CiFiles.GitLabJobTemplate);

        var fresh = CiFiles.Plan(null, null, "build:\n  script: make\n");
        Assert.Equal(new HashSet<string> { CiFiles.GitHubWorkflowPath, CiFiles.GitLabJobPath, CiFiles.GitLabCiPath }, fresh.Keys.ToHashSet());
        Assert.StartsWith("build:\n  script: make\n", fresh[CiFiles.GitLabCiPath]);

        Assert.Empty(CiFiles.Plan(fresh[CiFiles.GitHubWorkflowPath], fresh[CiFiles.GitLabJobPath], fresh[CiFiles.GitLabCiPath]));
    }
}
