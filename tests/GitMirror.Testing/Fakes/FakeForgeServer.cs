using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace GitMirror.Testing.Fakes;

/// <summary>One request a fake received: what tests assert on (and what must never hold a token).</summary>
/// <remarks>Headers are recorded except the credentials ones (Authorization, PRIVATE-TOKEN).</remarks>
public sealed record FakeApiCall(string Method, string Target, int Status, string? Body, IReadOnlyDictionary<string, string> Headers);

/// <summary>A response a test forces on the next matching request (rate limits, outages).</summary>
public sealed record FakeCannedResponse(int Status, string Body, IReadOnlyDictionary<string, string> Headers, string? PathContains = null);

/// <summary>What a fake handler answers.</summary>
public sealed record FakeResponse(int Status, JsonNode? Body = null)
{
    public static FakeResponse Json(JsonNode body, int status = 200) => new(status, body);

    public static FakeResponse Empty(int status = 204) => new(status);

    public static FakeResponse Message(int status, JsonNode message) => new(status, new JsonObject { ["message"] = message });
}

/// <summary>
/// Shared plumbing of the forge fakes: Kestrel on 127.0.0.1:0, token checking, a call log, canned
/// failures, and creating the bare repositories the git server serves from the same project root.
/// </summary>
public abstract class FakeForgeServer : IAsyncDisposable, IDisposable
{
    private readonly ConcurrentQueue<FakeApiCall> _calls = new();
    private readonly ConcurrentQueue<FakeCannedResponse> _canned = new();
    private WebApplication? _app;

    protected FakeForgeServer(string projectRoot)
    {
        ProjectRoot = projectRoot;
        Directory.CreateDirectory(projectRoot);
    }

    /// <summary>The folder of bare repositories, one per repository path: &lt;root&gt;/&lt;path&gt;.git.</summary>
    public string ProjectRoot { get; }

    /// <summary>http://127.0.0.1:PORT (no trailing slash).</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>Every request, in order.</summary>
    public IReadOnlyList<FakeApiCall> Calls => [.. _calls];

    /// <summary>Calls that changed state (anything but GET).</summary>
    public IReadOnlyList<FakeApiCall> Writes => [.. _calls.Where(c => c.Method != "GET")];

    /// <summary>Answers the next request (whose path contains <paramref name="pathContains"/>, if given) with this response instead.</summary>
    public void EnqueueFailure(int status, string body, IReadOnlyDictionary<string, string>? headers = null, string? pathContains = null) =>
        _canned.Enqueue(new FakeCannedResponse(status, body, headers ?? new Dictionary<string, string>(), pathContains));

    /// <summary>The path prefix of the API (/api/v3, /api/v4).</summary>
    protected abstract string ApiPrefix { get; }

    protected object Sync { get; } = new();

    protected async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.Run(HandleAsync);
        await _app.StartAsync().ConfigureAwait(false);
        var address = _app.Urls.First();
        BaseUrl = address.TrimEnd('/');
    }

    /// <summary>The token of a request (PRIVATE-TOKEN, "token X" or "Bearer X"); null without one.</summary>
    protected static string? TokenOf(HttpRequest request)
    {
        if (request.Headers.TryGetValue("PRIVATE-TOKEN", out var privateToken)) return privateToken.ToString();
        var auth = request.Headers.Authorization.ToString();
        foreach (var scheme in new[] { "token ", "Bearer " })
        {
            if (auth.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return auth[scheme.Length..].Trim();
        }
        return null;
    }

    /// <summary>Handles an authenticated API request: <paramref name="path"/> is below the prefix, still URL-encoded.</summary>
    protected abstract FakeResponse Handle(string method, string path, IReadOnlyDictionary<string, string> query, JsonObject? body, string token, HttpResponse response);

    /// <summary>Whether a token is known; unknown ones get 401 with the service's message.</summary>
    protected abstract bool IsKnownToken(string token);

    protected abstract JsonNode UnauthorizedBody { get; }

    /// <summary>Headers the real service puts on every authenticated response (X-OAuth-Scopes).</summary>
    protected virtual void AddCommonHeaders(HttpResponse response, string token)
    {
    }

    /// <summary>Creates the bare repository &lt;root&gt;/&lt;path&gt;.git, as a forge does when a repository is created.</summary>
    protected string CreateBareRepository(string path)
    {
        var bare = Path.Combine(ProjectRoot, path + ".git");
        Directory.CreateDirectory(bare);
        Git.Run(bare, "init", "--bare", "--quiet", "--initial-branch=main");
        return bare;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var target = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
        var bodyText = request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0
            ? await new StreamReader(request.Body).ReadToEndAsync().ConfigureAwait(false)
            : null;
        var (status, json) = Respond(context, target, bodyText);
        context.Response.StatusCode = status;
        var headers = request.Headers
            .Where(h => !h.Key.Equals("Authorization", StringComparison.OrdinalIgnoreCase) && !h.Key.Equals("PRIVATE-TOKEN", StringComparison.OrdinalIgnoreCase))
            .ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        _calls.Enqueue(new FakeApiCall(request.Method, target, status, bodyText, headers));
        if (json is not null)
        {
            context.Response.ContentType = "application/json; charset=utf-8";
            await context.Response.WriteAsync(json.ToJsonString()).ConfigureAwait(false);
        }
    }

    private (int Status, JsonNode? Body) Respond(HttpContext context, string target, string? bodyText)
    {
        var pathOnly = target.Split('?')[0];
        if (!_canned.IsEmpty && _canned.TryPeek(out var canned) && (canned.PathContains is null || pathOnly.Contains(canned.PathContains, StringComparison.Ordinal))
            && _canned.TryDequeue(out canned))
        {
            foreach (var (k, v) in canned.Headers) context.Response.Headers[k] = v;
            return (canned.Status, JsonNode.Parse(canned.Body));
        }
        if (!pathOnly.StartsWith(ApiPrefix + "/", StringComparison.Ordinal))
        {
            return (404, new JsonObject { ["message"] = "Not Found" });
        }
        var token = TokenOf(context.Request);
        if (token is null || !IsKnownToken(token))
        {
            return (401, UnauthorizedBody);
        }
        AddCommonHeaders(context.Response, token);
        var query = context.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString());
        JsonObject? body = null;
        if (!string.IsNullOrWhiteSpace(bodyText))
        {
            try
            {
                body = JsonNode.Parse(bodyText) as JsonObject;
            }
            catch (JsonException)
            {
                return (400, new JsonObject { ["message"] = "Problems parsing JSON" });
            }
        }
        lock (Sync)
        {
            var result = Handle(context.Request.Method, pathOnly[ApiPrefix.Length..], query, body, token, context.Response);
            return (result.Status, result.Body);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    protected static string Decode(string segment) => Uri.UnescapeDataString(segment);
}
