using System.Text;
using GitMirror.Core.Forges;
using GitMirror.Core.Forges.GitHub;
using GitMirror.Core.Forges.GitLab;
using GitMirror.Testing;
using Microsoft.AspNetCore.Http;
using Xunit;

namespace GitMirror.Core.Tests.Security;

/// <summary>API servers that answer with what an attacker would: a 300k-deep JSON, an echo of the request body, terminal escapes.</summary>
public sealed class HostileApiAnswerTests
{
    private const string Token = "glpat-CANARY-hostile-7a8b";

    [Fact]
    public async Task A_300k_deep_JSON_answer_to_GET_user_is_refused_before_any_parser_sees_it()
    {
        await using var api = await CanaryServer.StartAsync();
        api.Answer = async context =>
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(new string('[', 300_000) + new string(']', 300_000));
        };
        var github = new GitHubForge(api.BaseUrl, "ghp_CANARY-deep");

        var e = await Assert.ThrowsAsync<ForgeApiException>(() => github.GetIdentityAsync(CancellationToken.None));
        Assert.Contains("nested deeper than", e.Message);

        using var gitlab = new GitLabClient(api.BaseUrl + "/api/v4", Token);
        var e2 = await Assert.ThrowsAsync<ForgeApiException>(() => gitlab.GetCurrentTokenAsync(CancellationToken.None));
        Assert.Contains("nested deeper than", e2.Message);
    }

    [Fact]
    public void Depth_counting_skips_brackets_inside_strings()
    {
        Assert.False(JsonDepth.Exceeds(Encoding.UTF8.GetBytes("{\"a\":\"" + new string('[', 500) + "\\\"[[\"}"), 3));
        Assert.True(JsonDepth.Exceeds(Encoding.UTF8.GetBytes("[[[[]]]]"), 3));
        Assert.False(JsonDepth.Exceeds(Encoding.UTF8.GetBytes("[[[]]][[[]]]"), 3));
    }

    [Fact]
    public async Task A_server_echoing_the_request_body_cannot_put_a_deploy_private_key_into_the_exception()
    {
        var key = FakeDeployKeyText();
        await using var api = await CanaryServer.StartAsync();
        api.Answer = async context =>
        {
            var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
            context.Response.StatusCode = 400;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("{\"message\":" + System.Text.Json.JsonSerializer.Serialize("bad request: " + body) + "}");
        };
        using var gitlab = new GitLabClient(api.BaseUrl + "/api/v4", Token);

        var e = await Assert.ThrowsAsync<ForgeApiException>(() => gitlab.CreateProjectVariableAsync(1, new GitLabVariable("MIRROR_SSH_KEY", key), CancellationToken.None));

        var shown = e.ToString() + e.ServerMessage;
        Assert.Contains("bad request", shown);
        foreach (var line in key.Split('\n').Where(l => l.Length >= 16 && !l.StartsWith("-----", StringComparison.Ordinal)))
        {
            Assert.DoesNotContain(line, shown);
        }
        Assert.DoesNotContain(Token, shown);
    }

    [Fact]
    public async Task Terminal_escapes_in_a_server_message_never_reach_the_exception_text()
    {
        await using var api = await CanaryServer.StartAsync();
        api.Answer = async context =>
        {
            context.Response.StatusCode = 404;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("{\"message\":\"\\u001b]0;owned\\u0007\\u001b[2J\\r404 Project Not Found\\u009b1m\"}");
        };
        using var gitlab = new GitLabClient(api.BaseUrl + "/api/v4", Token);

        var e = await Assert.ThrowsAsync<ForgeApiException>(() => gitlab.GetCurrentTokenAsync(CancellationToken.None));

        Assert.Contains("404 Project Not Found", e.Message);
        Assert.DoesNotContain(e.Message + e.ServerMessage, c => char.IsControl(c) && c != '\n');
        var lfs = new GitMirror.Core.Lfs.LfsException("LFS: HTTP 404: \u001b]0;owned\u0007\u001b[2J gone");
        Assert.DoesNotContain(lfs.Message, c => char.IsControl(c));
        Assert.Equal("x [2J y", GitMirror.Core.Report.SecretRedactor.None.Redact("x \u001b[2J\r y".Replace("\r", "")));
    }

    /// <summary>An OpenSSH-style private key's shape (random lines, not a real key).</summary>
    private static string FakeDeployKeyText()
    {
        var lines = Enumerable.Range(0, 5).Select(_ => Convert.ToBase64String(Guid.NewGuid().ToByteArray()) + Convert.ToBase64String(Guid.NewGuid().ToByteArray()));
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + string.Join('\n', lines) + "\n-----END OPENSSH PRIVATE KEY-----\n";
    }
}
