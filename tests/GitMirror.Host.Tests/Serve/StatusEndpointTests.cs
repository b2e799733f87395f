using System.Net;
using System.Net.Http.Headers;
using System.Text;
using GitMirror.Testing;
using Xunit;

namespace GitMirror.Host.Tests.Serve;

/// <summary>
/// -StatusListen and GITMIRROR_STATUS_TOKEN against the real `gitmirror serve`: what each listener
/// serves, who may read the status, and "sync now" (POST /pairs/{name}/sync) syncing a real pair.
/// </summary>
public sealed class StatusEndpointTests : IDisposable
{
    private const string Secret = "whsec-status-5e6f7a";
    private const string Token = "status-CANARY-9a8b7c6d";

    private readonly HttpMirrorWorld _http = new();

    public void Dispose() => _http.Dispose();

    private static HttpRequestMessage Request(HttpMethod method, Uri url, AuthenticationHeaderValue? auth = null, string? origin = null)
    {
        var message = new HttpRequestMessage(method, url);
        message.Headers.Authorization = auth;
        if (origin is not null) message.Headers.TryAddWithoutValidation("Origin", origin);
        return message;
    }

    private static async Task<HttpResponseMessage> Send(HttpMethod method, Uri url, AuthenticationHeaderValue? auth = null, string? origin = null) =>
        await ServeProcess.Http.SendAsync(Request(method, url, auth, origin));

    private static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    [UnixFact]
    public async Task With_StatusListen_and_a_token_the_hooks_port_serves_only_hooks_and_probes_and_the_status_port_needs_the_token()
    {
        var world = _http.World;
        var (gitHub, gitLab) = world.AddPair("acme/alpha", "acme/alpha", "acme/alpha");
        var first = gitHub.Commit("main");
        using var serve = ServeProcess.Start(world.Root, Secret, new Dictionary<string, string> { ["GITMIRROR_STATUS_TOKEN"] = Token },
            "-Path", world.ConfigPath, "-Listen", "127.0.0.1:0", "-StatusListen", "127.0.0.1:0", "-PollIntervalSec", "0");
        var hooks = serve.BaseUrl;
        var status = serve.StatusUrl!;
        Assert.NotEqual(hooks.Port, status.Port);

        // The hooks port (what the Ingress exposes): hooks and probes, nothing that shows pairs, even with the token.
        foreach (var path in new[] { "/", "/status", "/metrics" })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await Send(HttpMethod.Get, new Uri(hooks, path), Basic("x", Token))).StatusCode);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await Send(HttpMethod.Post, new Uri(hooks, "/pairs/acme%2Falpha/sync"), Basic("x", Token))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Get, new Uri(hooks, "/healthz"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Get, new Uri(hooks, "/readyz"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await serve.GitHubPushAsync("acme/alpha", "refs/heads/main", first, "wrong")).StatusCode);

        // The status port: every page needs the token; probes do not; hooks are not there.
        foreach (var path in new[] { "/", "/status", "/metrics" })
        {
            var refused = await Send(HttpMethod.Get, new Uri(status, path));
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("Basic", refused.Headers.WwwAuthenticate.Single().Scheme);
            Assert.Contains("realm=\"gitmirror\"", refused.Headers.WwwAuthenticate.Single().Parameter);
            Assert.DoesNotContain("acme/alpha", await refused.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.Unauthorized, (await Send(HttpMethod.Get, new Uri(status, path), Basic("admin", Token + "x"))).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await Send(HttpMethod.Get, new Uri(status, path), new AuthenticationHeaderValue("Bearer", "nope"))).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Get, new Uri(status, path), Basic("anyone", Token))).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Get, new Uri(status, path), new AuthenticationHeaderValue("Bearer", Token))).StatusCode);
        }
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Get, new Uri(status, "/healthz"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Send(HttpMethod.Post, new Uri(status, "/hooks/github"), Basic("x", Token))).StatusCode);

        // The page offers "Sync now", and the button's target syncs the pair.
        var page = await (await Send(HttpMethod.Get, new Uri(status, "/"), Basic("x", Token))).Content.ReadAsStringAsync();
        Assert.Contains("acme/alpha", page);
        Assert.Contains("action=\"pairs/acme%2Falpha/sync\"", page);
        Assert.Contains("Sync now", page);
        Assert.Null(gitLab.TipOrNull("main"));

        Assert.Equal(HttpStatusCode.Unauthorized, (await Send(HttpMethod.Post, new Uri(status, "/pairs/acme%2Falpha/sync"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Send(HttpMethod.Post, new Uri(status, "/pairs/acme%2Fnone/sync"), Basic("x", Token))).StatusCode);
        // Another site's page posting with the browser's remembered credentials.
        Assert.Equal(HttpStatusCode.Forbidden, (await Send(HttpMethod.Post, new Uri(status, "/pairs/acme%2Falpha/sync"), Basic("x", Token), origin: "http://evil.example")).StatusCode);
        Assert.Null(gitLab.TipOrNull("main"));

        var accepted = await Send(HttpMethod.Post, new Uri(status, "/pairs/acme%2Falpha/sync"), Basic("x", Token), origin: status.GetLeftPart(UriPartial.Authority));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Contains("acme/alpha", await accepted.Content.ReadAsStringAsync());
        Assert.True(ServeProcess.Eventually(() => gitLab.TipOrNull("main") == first, TimeSpan.FromSeconds(30)), serve.Output);
        Assert.DoesNotContain(Token, serve.Output);
        Assert.Equal(0, serve.Terminate(TimeSpan.FromSeconds(15)));
    }

    [UnixFact]
    public async Task Without_a_token_everything_stays_on_Listen_and_sync_requests_are_403()
    {
        var world = _http.World;
        var (gitHub, gitLab) = world.AddPair("acme/alpha", "acme/alpha", "acme/alpha");
        gitHub.Commit("main");
        using var serve = ServeProcess.Start(world.Root, Secret, "-Path", world.ConfigPath, "-Listen", "127.0.0.1:0", "-PollIntervalSec", "0");

        Assert.Equal(HttpStatusCode.OK, (await serve.GetAsync("/status")).StatusCode);
        var page = await (await serve.GetAsync("/")).Content.ReadAsStringAsync();
        Assert.Contains("acme/alpha", page);
        Assert.DoesNotContain("Sync now", page);
        Assert.Equal(HttpStatusCode.Forbidden, (await Send(HttpMethod.Post, new Uri(serve.BaseUrl, "/pairs/acme%2Falpha/sync"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Send(HttpMethod.Post, new Uri(serve.BaseUrl, "/pairs/acme%2Fnone/sync"))).StatusCode);
        Thread.Sleep(500);
        Assert.Null(gitLab.TipOrNull("main"));
    }
}
