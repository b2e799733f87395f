using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GitMirror.Testing;

/// <summary>One request the <see cref="LfsServer"/> saw, with what authorization came with it.</summary>
/// <param name="Origin">"git" for the repository's own origin, "storage" for the separate object storage.</param>
/// <param name="Authorization">The Authorization header as sent (tests look for canary tokens in it).</param>
/// <param name="BasicPassword">The password of a Basic Authorization header, decoded.</param>
public sealed record LfsRequestRecord(string Origin, string Method, string PathAndQuery, int StatusCode, string? Authorization, string? BasicPassword);

/// <summary>
/// A small Git LFS server for tests, speaking the batch API and the basic transfer: it answers
/// <c>&lt;repo&gt;.git/info/lfs/…</c> on a <see cref="GitHttpServer"/>'s origin (Basic auth = one of its
/// accepted tokens) and keeps objects where git-lfs keeps them in a bare repository
/// (<c>lfs/objects/aa/bb/oid</c>). With <see cref="UseSeparateStorage"/>, transfer URLs point to a
/// second origin (another port, like object storage) that wants only the header the batch answer gave.
/// </summary>
public sealed class LfsServer : IDisposable
{
    private readonly GitHttpServer _git;
    private readonly string _projectRoot;
    private readonly List<LfsRequestRecord> _requests = [];
    private readonly string _storageSecret = "storage-" + Guid.NewGuid().ToString("N");
    private WebApplication? _storage;
    private string? _storageUrl;

    private LfsServer(GitHttpServer git, string projectRoot)
    {
        _git = git;
        _projectRoot = Path.GetFullPath(projectRoot);
        var previous = git.Intercept;
        git.Intercept = async context =>
        {
            if ((context.Request.Path.Value ?? "").Contains("/info/lfs/", StringComparison.Ordinal))
            {
                await HandleGitOriginAsync(context);
                return true;
            }
            return previous is not null && await previous(context);
        };
    }

    /// <summary>Serves LFS for the repositories of <paramref name="git"/> (bare repositories under <paramref name="projectRoot"/>).</summary>
    public static LfsServer Attach(GitHttpServer git, string projectRoot) => new(git, projectRoot);

    /// <summary>Repository paths (as in URLs, e.g. "/gitlab/group/app.git") whose LFS is switched off: every LFS request gets 404.</summary>
    public ISet<string> Disabled { get; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Refuses an object offered for upload: return (code, message) for a per-object error, null to accept.</summary>
    public Func<string, long, (int Code, string Message)?>? RefuseUpload { get; set; }

    /// <summary>Answers the whole upload batch with this status and message (quota exceeded: 507), when set.</summary>
    public (int Status, string Message)? RefuseUploadBatch { get; set; }

    /// <summary>Every LFS request so far, on both origins.</summary>
    public IReadOnlyList<LfsRequestRecord> Requests
    {
        get
        {
            lock (_requests) return _requests.ToArray();
        }
    }

    /// <summary>Transfer URLs point to a second local origin that accepts only the batch answer's own header.</summary>
    public void UseSeparateStorage()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.Limits.MaxRequestBodySize = null;
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        _storage = builder.Build();
        _storage.Run(HandleStorageAsync);
        _storage.StartAsync().GetAwaiter().GetResult();
        var address = _storage.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        _storageUrl = new Uri(address).GetLeftPart(UriPartial.Authority).Replace("[::1]", "127.0.0.1").TrimEnd('/');
    }

    /// <summary>Where the server keeps an object of the bare repository at <paramref name="barePath"/>.</summary>
    public static string ObjectPath(string barePath, string oid) => Path.Combine(barePath, "lfs", "objects", oid[..2], oid[2..4], oid);

    public static bool Holds(string barePath, string oid) => File.Exists(ObjectPath(barePath, oid));

    private async Task HandleGitOriginAsync(HttpContext context)
    {
        var path = context.Request.Path.Value!;
        var split = path.IndexOf("/info/lfs/", StringComparison.Ordinal);
        var repo = path[..split];
        var rest = path[(split + "/info/lfs/".Length)..];
        try
        {
            if (!Authorized(context))
            {
                context.Response.StatusCode = 401;
                context.Response.Headers.WWWAuthenticate = "Basic realm=\"lfs\"";
                await WriteJsonAsync(context, new JsonObject { ["message"] = "Credentials needed" });
                return;
            }
            if (Disabled.Contains(repo))
            {
                context.Response.StatusCode = 404;
                await WriteJsonAsync(context, new JsonObject { ["message"] = "Not Found" });
                return;
            }
            var bare = RepositoryDirectory(repo);
            switch (context.Request.Method, rest)
            {
                case ("POST", "objects/batch"):
                    await BatchAsync(context, repo, bare);
                    break;
                case ("POST", "verify"):
                    await VerifyAsync(context, bare);
                    break;
                case ("GET", _) when rest.StartsWith("objects/", StringComparison.Ordinal):
                    await DownloadAsync(context, bare, rest["objects/".Length..]);
                    break;
                case ("PUT", _) when rest.StartsWith("objects/", StringComparison.Ordinal):
                    await UploadAsync(context, bare, rest["objects/".Length..]);
                    break;
                default:
                    context.Response.StatusCode = 404;
                    break;
            }
        }
        finally
        {
            Record("git", context);
        }
    }

    private async Task HandleStorageAsync(HttpContext context)
    {
        try
        {
            // /<repo path, URL-encoded>/<oid>
            var parts = (context.Request.Path.Value ?? "").Trim('/').Split('/');
            if (context.Request.Headers.Authorization.ToString() != "RemoteAuth " + _storageSecret || parts.Length != 2)
            {
                context.Response.StatusCode = 403;
                return;
            }
            var bare = RepositoryDirectory(Uri.UnescapeDataString(parts[0]));
            if (context.Request.Method == "GET") await DownloadAsync(context, bare, parts[1]);
            else if (context.Request.Method == "PUT") await UploadAsync(context, bare, parts[1]);
            else context.Response.StatusCode = 405;
        }
        finally
        {
            Record("storage", context);
        }
    }

    private async Task BatchAsync(HttpContext context, string repo, string bare)
    {
        var request = JsonNode.Parse(await new StreamReader(context.Request.Body).ReadToEndAsync())!;
        var operation = (string)request["operation"]!;
        if (operation == "upload" && RefuseUploadBatch is { } refusal)
        {
            context.Response.StatusCode = refusal.Status;
            await WriteJsonAsync(context, new JsonObject { ["message"] = refusal.Message });
            return;
        }
        var baseUrl = _git.BaseUrl + repo + "/info/lfs";
        var answers = new JsonArray();
        foreach (var item in request["objects"]!.AsArray())
        {
            var oid = (string)item!["oid"]!;
            var size = (long)item["size"]!;
            var answer = new JsonObject { ["oid"] = oid, ["size"] = size };
            var held = IsOid(oid) && File.Exists(ObjectPath(bare, oid));
            if (!IsOid(oid))
            {
                answer["error"] = new JsonObject { ["code"] = 422, ["message"] = "invalid oid" };
            }
            else if (operation == "download")
            {
                answer["actions"] = held ? new JsonObject { ["download"] = Action(baseUrl, repo, oid) }
                    : null;
                if (!held)
                {
                    answer.Remove("actions");
                    answer["error"] = new JsonObject { ["code"] = 404, ["message"] = "Object does not exist" };
                }
            }
            else if (!held)
            {
                if (RefuseUpload?.Invoke(oid, size) is { } refused)
                {
                    answer["error"] = new JsonObject { ["code"] = refused.Code, ["message"] = refused.Message };
                }
                else
                {
                    answer["actions"] = new JsonObject
                    {
                        ["upload"] = Action(baseUrl, repo, oid),
                        ["verify"] = new JsonObject { ["href"] = baseUrl + "/verify" },
                    };
                }
            }
            answers.Add(answer);
        }
        await WriteJsonAsync(context, new JsonObject { ["transfer"] = "basic", ["objects"] = answers });
    }

    private JsonObject Action(string baseUrl, string repo, string oid) => _storageUrl is null
        ? new JsonObject { ["href"] = $"{baseUrl}/objects/{oid}" }
        : new JsonObject
        {
            ["href"] = $"{_storageUrl}/{Uri.EscapeDataString(repo)}/{oid}",
            ["header"] = new JsonObject { ["Authorization"] = "RemoteAuth " + _storageSecret },
        };

    private static async Task VerifyAsync(HttpContext context, string bare)
    {
        var request = JsonNode.Parse(await new StreamReader(context.Request.Body).ReadToEndAsync())!;
        var oid = (string)request["oid"]!;
        var ok = IsOid(oid) && new FileInfo(ObjectPath(bare, oid)) is { Exists: true } file && file.Length == (long)request["size"]!;
        context.Response.StatusCode = ok ? 200 : 404;
        await WriteJsonAsync(context, new JsonObject { ["message"] = ok ? "ok" : "Object does not exist" });
    }

    private static async Task DownloadAsync(HttpContext context, string bare, string oid)
    {
        if (!IsOid(oid) || !File.Exists(ObjectPath(bare, oid)))
        {
            context.Response.StatusCode = 404;
            return;
        }
        context.Response.ContentType = "application/octet-stream";
        await context.Response.SendFileAsync(ObjectPath(bare, oid));
    }

    private static async Task UploadAsync(HttpContext context, string bare, string oid)
    {
        if (!IsOid(oid))
        {
            context.Response.StatusCode = 422;
            return;
        }
        var final = ObjectPath(bare, oid);
        Directory.CreateDirectory(Path.GetDirectoryName(final)!);
        var temporary = final + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long length = 0;
            await using (var file = File.Create(temporary))
            {
                var buffer = new byte[81920];
                int read;
                while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
                {
                    sha.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted);
                    length += read;
                }
            }
            if (Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant() != oid || length != context.Request.ContentLength)
            {
                context.Response.StatusCode = 422;
                return;
            }
            File.Move(temporary, final, overwrite: true);
            context.Response.StatusCode = 200;
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    private bool Authorized(HttpContext context)
    {
        var tokens = _git.AcceptedTokens.ToArray();
        if (tokens.Length == 0) return true;
        return BasicPassword(context.Request.Headers.Authorization.FirstOrDefault()) is { } password && tokens.Contains(password);
    }

    private static string? BasicPassword(string? header)
    {
        if (header is null || !header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return null;
        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
            return decoded.Contains(':') ? decoded[(decoded.IndexOf(':') + 1)..] : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private void Record(string origin, HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization.FirstOrDefault();
        lock (_requests)
        {
            _requests.Add(new LfsRequestRecord(origin, context.Request.Method, context.Request.Path + context.Request.QueryString,
                context.Response.StatusCode, authorization, BasicPassword(authorization)));
        }
    }

    private string RepositoryDirectory(string repo) => Path.GetFullPath(Path.Combine(_projectRoot, repo.TrimStart('/')));

    private static bool IsOid(string oid) => oid.Length == 64 && oid.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    private static async Task WriteJsonAsync(HttpContext context, JsonNode body)
    {
        context.Response.ContentType = "application/vnd.git-lfs+json";
        await context.Response.WriteAsync(body.ToJsonString());
    }

    public void Dispose()
    {
        if (_storage is not null)
        {
            _storage.StopAsync().GetAwaiter().GetResult();
            _storage.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}

/// <summary>Makes LFS content in test repositories without git-lfs: pointer files committed by plumbing, objects put in place.</summary>
public static class LfsFiles
{
    /// <summary>Random content of <paramref name="size"/> bytes and its oid.</summary>
    public static (byte[] Content, string Oid) NewObject(int size)
    {
        var content = RandomNumberGenerator.GetBytes(size);
        return (content, Convert.ToHexString(SHA256.HashData(content)).ToLowerInvariant());
    }

    /// <summary>Puts an object into a bare repository's LFS store (where git-lfs and the test server keep it).</summary>
    public static void Store(string barePath, byte[] content, string oid)
    {
        var path = LfsServer.ObjectPath(barePath, oid);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
    }

    public static string Pointer(string oid, long size) =>
        $"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {size}\n";

    /// <summary>
    /// Commits to <paramref name="branch"/> of a bare repository (on its tip, if any): a .gitattributes
    /// routing *.bin through LFS, and <paramref name="files"/> (path → content). Returns the commit.
    /// </summary>
    public static string Commit(string barePath, string branch, IReadOnlyDictionary<string, string> files, string message = "lfs files")
    {
        using var scratch = new TempDir("gitmirror-lfs");
        var env = new Dictionary<string, string> { ["GIT_INDEX_FILE"] = scratch.Combine("index") };
        var (code, parent, _) = Git.TryRun(barePath, "rev-parse", "--verify", "--quiet", $"refs/heads/{branch}");
        if (code == 0) Git.RunWithEnv(barePath, env, "read-tree", parent.Trim());
        var all = new Dictionary<string, string>(files) { [".gitattributes"] = "*.bin filter=lfs diff=lfs merge=lfs -text\n" };
        foreach (var (path, content) in all)
        {
            var file = scratch.Combine(Guid.NewGuid().ToString("N"));
            File.WriteAllText(file, content);
            var blob = Git.Run(barePath, "hash-object", "-w", file).Trim();
            Git.RunWithEnv(barePath, env, "update-index", "--add", "--cacheinfo", $"100644,{blob},{path}");
        }
        var tree = Git.RunWithEnv(barePath, env, "write-tree").Trim();
        var commit = code == 0
            ? Git.Run(barePath, "commit-tree", tree, "-p", parent.Trim(), "-m", message).Trim()
            : Git.Run(barePath, "commit-tree", tree, "-m", message).Trim();
        Git.Run(barePath, "update-ref", $"refs/heads/{branch}", commit);
        return commit;
    }
}
