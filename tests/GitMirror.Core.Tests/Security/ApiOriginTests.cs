using System.Reflection;
using GitMirror.Core.Forges;
using GitMirror.Core.Forges.GitHub;
using GitMirror.Core.Forges.GitLab;
using GitMirror.Testing;
using Microsoft.AspNetCore.Http;
using Xunit;

namespace GitMirror.Core.Tests.Security;

/// <summary>
/// Issue 12, items 1, 2 and 8: a forge API token never leaves its configured origin (scheme, host,
/// port), whatever the API server answers, and no exception GitMirror keeps holds it.
/// </summary>
public sealed class ApiOriginTests : IAsyncLifetime
{
    private const string GitLabCanary = "glpat-CANARY-api-origin-0001";
    private const string GitHubCanary = "ghp_CANARYapiorigin00000000000000000001";
    private CanaryServer _api = null!;
    private CanaryServer _elsewhere = null!;

    public async Task InitializeAsync()
    {
        _api = await CanaryServer.StartAsync();
        _elsewhere = await CanaryServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        await _elsewhere.DisposeAsync();
    }

    [Theory]
    [InlineData("127.0.0.1")] // same host, another port
    [InlineData("localhost")] // another host name (and port)
    public async Task GitLab_token_does_not_follow_a_redirect_to_another_origin(string host)
    {
        _api.Answer = CanaryServer.RedirectTo($"http://{host}:{_elsewhere.Port}");
        using var client = new GitLabClient(_api.BaseUrl + "/api/v4", GitLabCanary);

        var e = await Assert.ThrowsAsync<ForgeApiException>(() => client.GetCurrentUserAsync(default));

        Assert.Equal(ForgeFailureKind.RedirectRefused, e.Kind);
        Assert.Contains($"{_elsewhere.Port}", e.Message);
        Assert.True(_api.SawToken(GitLabCanary), "the configured API should get the token");
        Assert.Empty(_elsewhere.Requests);
        Assert.DoesNotContain(GitLabCanary, e.ToString());
    }

    [Fact]
    public async Task GitLab_client_follows_a_redirect_within_its_origin_with_the_token()
    {
        _api.Answer = async context =>
        {
            if (context.Request.Path == "/api/v4/user")
            {
                context.Response.StatusCode = 301;
                context.Response.Headers.Location = "/api/v4/users/7";
                return;
            }
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"id":7,"username":"gl-bot"}""");
        };
        using var client = new GitLabClient(_api.BaseUrl + "/api/v4", GitLabCanary);

        var user = await client.GetCurrentUserAsync(default);

        Assert.Equal("gl-bot", user.Username);
        Assert.Equal(["/api/v4/user", "/api/v4/users/7"], _api.Requests.Select(r => r.Target));
        Assert.All(_api.Requests, r => Assert.True(r.Carries(GitLabCanary)));
    }

    [Theory]
    [InlineData("127.0.0.1")] // same host, another port: Octokit keeps Authorization for it
    [InlineData("localhost")]
    public async Task GitHub_token_does_not_follow_a_redirect_to_another_origin(string host)
    {
        _api.Answer = CanaryServer.RedirectTo($"http://{host}:{_elsewhere.Port}", status: 301);
        var forge = new GitHubForge(_api.BaseUrl + "/api/v3", GitHubCanary);

        var e = await Assert.ThrowsAsync<ForgeApiException>(() => forge.GetIdentityAsync(default));

        Assert.Equal(ForgeFailureKind.RedirectRefused, e.Kind);
        Assert.True(_api.SawToken(GitHubCanary));
        Assert.Empty(_elsewhere.Requests);
    }

    [Fact]
    public async Task GitHub_token_does_not_follow_an_https_to_http_downgrade_on_the_same_host()
    {
        await using var secure = await CanaryServer.StartAsync(https: true);
        // The same host (127.0.0.1), plain http on another port: only the scheme and port differ.
        secure.Answer = CanaryServer.RedirectTo($"http://127.0.0.1:{_elsewhere.Port}", status: 307);
        var forge = new GitHubForge(secure.BaseUrl + "/api/v3", GitHubCanary, CanaryServer.TrustingHandler());

        var e = await Assert.ThrowsAsync<ForgeApiException>(() => forge.GetIdentityAsync(default));

        Assert.Equal(ForgeFailureKind.RedirectRefused, e.Kind);
        Assert.True(secure.SawToken(GitHubCanary), "the https API should get the token");
        Assert.Empty(_elsewhere.Requests);
    }

    [Fact]
    public async Task An_echoed_token_is_nowhere_in_the_exception_chain()
    {
        // A hostile or misconfigured server that echoes the Authorization header it received.
        _api.Answer = async context =>
        {
            var echoed = context.Request.Headers.Authorization.ToString();
            context.Response.StatusCode = 401;
            context.Response.Headers["X-Echo"] = echoed;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync($$"""{"message":"Bad credentials for {{echoed}}"}""");
        };
        var forge = new GitHubForge(_api.BaseUrl + "/api/v3", GitHubCanary);

        var e = await Assert.ThrowsAsync<ForgeApiException>(() => forge.GetIdentityAsync(default));

        Assert.Equal(ForgeFailureKind.Authentication, e.Kind);
        Assert.True(_api.SawToken(GitHubCanary));
        // What Format-List * -Force would show: every property of every exception in the chain.
        for (Exception? level = e; level is not null; level = level.InnerException)
        {
            Assert.DoesNotContain(GitHubCanary, Dump(level, depth: 3));
        }
    }

    /// <summary>Every readable public property, recursively, as text.</summary>
    private static string Dump(object? value, int depth)
    {
        if (value is null) return "";
        if (value is string s) return s;
        var text = new System.Text.StringBuilder(value.ToString());
        if (depth == 0 || value.GetType().IsPrimitive) return text.ToString();
        if (value is System.Collections.IEnumerable items)
        {
            foreach (var item in items) text.Append('\n').Append(Dump(item, depth - 1));
            return text.ToString();
        }
        foreach (var property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || property.Name is "TargetSite") continue;
            try
            {
                text.Append('\n').Append(property.Name).Append(": ").Append(Dump(property.GetValue(value), depth - 1));
            }
            catch (TargetInvocationException)
            {
            }
        }
        return text.ToString();
    }
}
