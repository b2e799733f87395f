using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GitMirror.Testing;

/// <summary>One request the <see cref="GitHttpServer"/> answered. Never holds a password.</summary>
public sealed record GitHttpRequestRecord(
    string Method,
    string PathAndQuery,
    string? Service,
    int StatusCode,
    long RequestBytes,
    long ResponseBytes,
    string? AuthorizationUser,
    string? GitProtocol,
    string? UserAgent = null);

/// <summary>
/// A local smart-HTTP git server: <c>git http-backend</c> run as CGI behind Kestrel on 127.0.0.1.
/// Unlike libgit2's local transport, it runs server hooks (pre-receive etc.), speaks protocol v2
/// and checks Basic auth, so tests see what a real forge does.
/// </summary>
public sealed class GitHttpServer : IDisposable, IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _projectRoot;
    private readonly List<GitHttpRequestRecord> _requests = [];
    private readonly ConcurrentDictionary<HttpContext, byte> _inFlight = new();
    private int _authFailures;
    private int _disposed;

    private GitHttpServer(string projectRoot)
    {
        _projectRoot = Path.GetFullPath(projectRoot);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = _projectRoot });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0);
            kestrel.Limits.MaxRequestBodySize = null; // pushes of big packs
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        _app = builder.Build();
        _app.Run(HandleAsync);
    }

    /// <summary>Starts serving the bare repositories under <paramref name="projectRoot"/> (as <c>&lt;path&gt;.git</c>).</summary>
    public static GitHttpServer Start(string projectRoot)
    {
        var server = new GitHttpServer(projectRoot);
        server._app.StartAsync().GetAwaiter().GetResult();
        var address = server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!
            .Addresses.Single();
        server.BaseUrl = new Uri(address).GetLeftPart(UriPartial.Authority).Replace("[::1]", "127.0.0.1").TrimEnd('/');
        return server;
    }

    /// <summary><c>http://127.0.0.1:PORT</c>, no trailing slash; a clone URL is <c>{BaseUrl}/{path}.git</c>.</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>Basic auth passwords that are accepted (any user name). Empty: anonymous access. Set up before requests run.</summary>
    public ISet<string> AcceptedTokens { get; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>
    /// Every request served so far. Waits (up to 5 s) for requests still finishing: a client may have read
    /// all it needs, and moved on to its assertions, before the server's handler has returned.
    /// </summary>
    public IReadOnlyList<GitHttpRequestRecord> Requests
    {
        get
        {
            WaitForRequestsInFlight();
            lock (_requests) return _requests.ToArray();
        }
    }

    /// <summary>How many requests were answered 401.</summary>
    public int AuthFailures
    {
        get
        {
            WaitForRequestsInFlight();
            return Volatile.Read(ref _authFailures);
        }
    }

    /// <summary>
    /// Fault injection, called before authentication: return true when it answered the request itself
    /// (500, 429 with Retry-After, or waiting on <see cref="HttpContext.RequestAborted"/> to simulate a hang).
    /// </summary>
    public Func<HttpContext, Task<bool>>? Intercept { get; set; }

    /// <summary>
    /// Extra environment for the <c>git http-backend</c> of one request, from its PATH_INFO and the
    /// accepted Basic auth password (null when anonymous): how a fake forge gives receive-pack
    /// per-token rules (GitHub's workflow scope). Null or an empty answer adds nothing.
    /// </summary>
    public Func<string, string?, IReadOnlyDictionary<string, string>?>? BackendEnvironment { get; set; }

    private void WaitForRequestsInFlight() => SpinWait.SpinUntil(() => _inFlight.IsEmpty, TimeSpan.FromSeconds(5));

    /// <summary>Forgets the requests served so far, after those still finishing (see <see cref="Requests"/>).</summary>
    public void ClearRequests()
    {
        WaitForRequestsInFlight();
        lock (_requests) _requests.Clear();
    }

    /// <summary>Clone URL of the repository at <paramref name="path"/> (without <c>.git</c>).</summary>
    public string UrlOf(string path) => $"{BaseUrl}/{path}.git";

    /// <summary>
    /// Environment for the git CLI that sends Basic auth as a header: the token stays out of URLs,
    /// config files and process arguments (git 2.31+).
    /// </summary>
    public static Dictionary<string, string> GitAuthEnvironment(string user, string token) => new()
    {
        ["GIT_CONFIG_COUNT"] = "1",
        ["GIT_CONFIG_KEY_0"] = "http.extraHeader",
        ["GIT_CONFIG_VALUE_0"] = "Authorization: Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{token}")),
    };

    private async Task HandleAsync(HttpContext context)
    {
        _inFlight[context] = 0;
        var counted = new CountingStreams(context);
        string? user = null;
        string? token = null;
        try
        {
            if (Intercept is { } intercept && await intercept(context))
            {
                return;
            }
            if (!Authorize(context, out user, out token))
            {
                Interlocked.Increment(ref _authFailures);
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Basic realm=\"git\"";
                return;
            }
            await RunHttpBackendAsync(context, counted, user, token);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away (or the server is stopping): nothing left to answer.
        }
        finally
        {
            var request = context.Request;
            var record = new GitHttpRequestRecord(
                request.Method,
                request.Path + request.QueryString,
                ServiceOf(request),
                context.Response.StatusCode,
                counted.RequestBytes,
                counted.ResponseBytes,
                user,
                request.Headers["Git-Protocol"].FirstOrDefault(),
                request.Headers.UserAgent.ToString());
            lock (_requests) _requests.Add(record);
            _inFlight.TryRemove(context, out _);
        }
    }

    /// <summary>Checks Basic auth; <paramref name="user"/> gets the user name, <paramref name="token"/> the password (never recorded).</summary>
    private bool Authorize(HttpContext context, out string? user, out string? token)
    {
        user = null;
        token = null;
        string[] tokens;
        lock (AcceptedTokens) tokens = AcceptedTokens.ToArray();
        var header = context.Request.Headers.Authorization.FirstOrDefault();
        if (header is not null && header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
            }
            catch (FormatException)
            {
                return false;
            }
            var colon = decoded.IndexOf(':');
            if (colon < 0) return false;
            var password = decoded[(colon + 1)..];
            if (tokens.Length > 0 && !tokens.Contains(password, StringComparer.Ordinal)) return false;
            user = decoded[..colon];
            token = password;
            return true;
        }
        return tokens.Length == 0;
    }

    private static string? ServiceOf(HttpRequest request)
    {
        var service = request.Query["service"].FirstOrDefault();
        if (service is not null) return service;
        var path = request.Path.Value ?? "";
        return path.EndsWith("/git-upload-pack", StringComparison.Ordinal) ? "git-upload-pack"
            : path.EndsWith("/git-receive-pack", StringComparison.Ordinal) ? "git-receive-pack"
            : null;
    }

    private async Task RunHttpBackendAsync(HttpContext context, CountingStreams counted, string? user, string? token)
    {
        var request = context.Request;
        var psi = new ProcessStartInfo("git")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("http-backend");
        var env = psi.Environment;
        env["GIT_PROJECT_ROOT"] = _projectRoot;
        env["GIT_HTTP_EXPORT_ALL"] = "1";
        env["GIT_CONFIG_NOSYSTEM"] = "1";
        env["GIT_CONFIG_GLOBAL"] = "/dev/null";
        env["GATEWAY_INTERFACE"] = "CGI/1.1";
        env["REQUEST_METHOD"] = request.Method;
        env["PATH_INFO"] = Uri.UnescapeDataString(request.Path.Value ?? "/");
        env["QUERY_STRING"] = request.QueryString.HasValue ? request.QueryString.Value![1..] : "";
        env["CONTENT_TYPE"] = request.ContentType ?? "";
        env["REMOTE_ADDR"] = context.Connection.RemoteIpAddress?.ToString() ?? "127.0.0.1";
        // http-backend refuses receive-pack to anonymous users; in anonymous mode anyone may push.
        env["REMOTE_USER"] = user ?? "anonymous";
        // Unset means "read stdin to EOF" for http-backend, which is what a chunked body needs.
        if (request.ContentLength is { } length) env["CONTENT_LENGTH"] = length.ToString(System.Globalization.CultureInfo.InvariantCulture);
        else env.Remove("CONTENT_LENGTH");
        SetOrRemove(env, "HTTP_GIT_PROTOCOL", request.Headers["Git-Protocol"].FirstOrDefault());
        SetOrRemove(env, "HTTP_CONTENT_ENCODING", request.Headers.ContentEncoding.FirstOrDefault());
        if (BackendEnvironment?.Invoke(env["PATH_INFO"]!, token) is { } extra)
        {
            foreach (var (name, value) in extra) env[name] = value;
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start git http-backend");
        using var kill = context.RequestAborted.Register(() => KillQuietly(process));
        var stderr = process.StandardError.ReadToEndAsync();

        // Both directions at once: http-backend may answer (or stall on a full pipe) before it read everything.
        var feed = FeedStdinAsync(counted.RequestBody, process.StandardInput.BaseStream, context.RequestAborted);
        await RelayCgiResponseAsync(process.StandardOutput.BaseStream, context, counted);
        await feed;
        await process.WaitForExitAsync(context.RequestAborted);
        var errors = await stderr;
        if (!context.Response.HasStarted && process.ExitCode != 0)
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            await context.Response.WriteAsync(errors);
        }
    }

    private static async Task FeedStdinAsync(Stream body, Stream stdin, CancellationToken cancel)
    {
        try
        {
            await body.CopyToAsync(stdin, cancel);
        }
        catch (IOException)
        {
            // http-backend stopped reading (it answered an error early); its answer still gets relayed.
        }
        finally
        {
            try { await stdin.DisposeAsync(); } catch (IOException) { }
        }
    }

    /// <summary>Parses the CGI header block (Status:, Content-Type, …) and streams the body after it.</summary>
    private static async Task RelayCgiResponseAsync(Stream stdout, HttpContext context, CountingStreams counted)
    {
        var buffer = new byte[64 * 1024];
        var filled = 0;
        int headerEnd, bodyStart;
        while (true)
        {
            (headerEnd, bodyStart) = FindHeaderEnd(buffer.AsSpan(0, filled));
            if (headerEnd >= 0) break;
            if (filled == buffer.Length) throw new InvalidDataException("CGI header block too large");
            var read = await stdout.ReadAsync(buffer.AsMemory(filled), context.RequestAborted);
            if (read == 0)
            {
                if (filled == 0) return; // nothing at all: the caller reports stderr
                (headerEnd, bodyStart) = (filled, filled);
                break;
            }
            filled += read;
        }

        var response = context.Response;
        foreach (var line in Encoding.ASCII.GetString(buffer, 0, headerEnd).Split('\n'))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0) continue;
            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("Status", StringComparison.OrdinalIgnoreCase))
            {
                response.StatusCode = int.Parse(value.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            }
            else
            {
                response.Headers.Append(name, value);
            }
        }

        var output = counted.ResponseBody;
        await output.WriteAsync(buffer.AsMemory(bodyStart, filled - bodyStart), context.RequestAborted);
        int n;
        while ((n = await stdout.ReadAsync(buffer, context.RequestAborted)) > 0)
        {
            await output.WriteAsync(buffer.AsMemory(0, n), context.RequestAborted);
            await output.FlushAsync(context.RequestAborted); // sideband progress reaches the client as it happens
        }
    }

    /// <summary>End of the header block (CRLFCRLF or LFLF) and where the body starts, or (-1, -1).</summary>
    private static (int HeaderEnd, int BodyStart) FindHeaderEnd(ReadOnlySpan<byte> data)
    {
        for (var i = 0; i < data.Length; i++)
        {
            if (data[i] != '\n') continue;
            if (i + 1 < data.Length && data[i + 1] == '\n') return (i, i + 2);
            if (i + 2 < data.Length && data[i + 1] == '\r' && data[i + 2] == '\n') return (i, i + 3);
        }
        return (-1, -1);
    }

    private static void SetOrRemove(IDictionary<string, string?> env, string name, string? value)
    {
        if (value is null) env.Remove(name);
        else env[name] = value;
    }

    private static void KillQuietly(Process process)
    {
        try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } catch (System.ComponentModel.Win32Exception) { }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        // Requests parked by an Intercept wait for RequestAborted: abort them so stopping is quick.
        foreach (var context in _inFlight.Keys)
        {
            try
            {
                context.Abort();
            }
            catch (ObjectDisposedException)
            {
                // It finished between the listing and the abort.
            }
        }
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Counts the bytes of a request body read and a response body written.</summary>
    private sealed class CountingStreams(HttpContext context)
    {
        private long _requestBytes;
        private long _responseBytes;

        public long RequestBytes => Interlocked.Read(ref _requestBytes);
        public long ResponseBytes => Interlocked.Read(ref _responseBytes);

        public Stream RequestBody => new CountingStream(context.Request.Body, n => Interlocked.Add(ref _requestBytes, n));
        public Stream ResponseBody => new CountingStream(context.Response.Body, n => Interlocked.Add(ref _responseBytes, n));
    }

    private sealed class CountingStream(Stream inner, Action<long> count) : Stream
    {
        public override bool CanRead => inner.CanRead;
        public override bool CanSeek => false;
        public override bool CanWrite => inner.CanWrite;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken);
            count(n);
            return n;
        }

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await inner.WriteAsync(buffer, cancellationToken);
            count(buffer.Length);
        }
    }
}
