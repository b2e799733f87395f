using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace GitMirror.Testing;

/// <summary>
/// A git server over SSH as the forges run one for deploy keys: an unprivileged OpenSSH sshd on
/// 127.0.0.1 (a free port, a host key made for the run) that accepts only the public keys given to
/// <see cref="SetKeys"/>, each with a forced command that lets it run git-receive-pack or
/// git-upload-pack on its one repository under the root and nothing else, as GitHub and GitLab
/// bind a deploy key to its repository.
/// </summary>
public sealed class SshGitServer : IDisposable
{
    private readonly string _state;
    private readonly string _root;
    private readonly Process _sshd;
    private readonly StringBuilder _log = new();

    private SshGitServer(string root, string state, int port, string hostKey, Process sshd)
    {
        _root = root;
        _state = state;
        Port = port;
        HostKey = hostKey;
        _sshd = sshd;
    }

    /// <summary>The port sshd listens on (127.0.0.1 only).</summary>
    public int Port { get; }

    /// <summary>The login the clients use: the account running the tests (an unprivileged sshd serves only its own user).</summary>
    public string User { get; } = Environment.UserName;

    /// <summary>The server's host public key, <c>type base64</c>.</summary>
    public string HostKey { get; }

    /// <summary>The known_hosts line that pins this server.</summary>
    public string KnownHostsLine => $"[127.0.0.1]:{Port} {HostKey}";

    /// <summary>ssh://USER@127.0.0.1:PORT; a repository at ROOT/a/b.git is BaseUrl/a/b.git.</summary>
    public string BaseUrl => $"ssh://{User}@127.0.0.1:{Port}";

    /// <summary>What the forced command saw, one line per connection: "git-receive-pack path allowed|refused".</summary>
    public IReadOnlyList<string> Accesses =>
        File.Exists(AccessLog) ? File.ReadAllLines(AccessLog) : [];

    /// <summary>sshd's own log (stderr), for failure messages.</summary>
    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    private string AccessLog => Path.Combine(_state, "access.log");

    /// <summary>Why the server cannot run here (no sshd or ssh-keygen), or null when it can.</summary>
    public static string? MissingReason() =>
        Sshd() is null ? "OpenSSH's sshd is not installed (apt: openssh-server)"
        : OnPath("ssh-keygen") is null || OnPath("ssh") is null ? "the OpenSSH client (ssh, ssh-keygen) is not installed (apt: openssh-client)"
        : null;

    /// <param name="root">Repositories are served from below it (a key's repository is a path relative to it).</param>
    /// <param name="state">An empty directory of the test's for the config, host key and logs.</param>
    public static SshGitServer Start(string root, string state)
    {
        var sshd = Sshd() ?? throw new InvalidOperationException(MissingReason());
        Directory.CreateDirectory(state);
        var hostKeyFile = Path.Combine(state, "host_ed25519");
        Run(OnPath("ssh-keygen")!, "-q", "-t", "ed25519", "-N", "", "-C", "gitmirror-test-host", "-f", hostKeyFile);
        var hostKey = string.Join(' ', File.ReadAllText(hostKeyFile + ".pub").Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(2));
        var gate = Path.Combine(state, "gate.sh");
        File.WriteAllText(gate, Gate.ReplaceLineEndings("\n"));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(gate, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var authorizedKeys = Path.Combine(state, "authorized_keys");
        File.WriteAllText(authorizedKeys, "");
        // sshd checks for its privilege separation directory even when it cannot use it.
        if (!Directory.Exists("/run/sshd"))
        {
            try
            {
                Directory.CreateDirectory("/run/sshd");
            }
            catch (UnauthorizedAccessException)
            {
                // Unprivileged: sshd runs without privilege separation then.
            }
        }

        for (var attempt = 0; ; attempt++)
        {
            var port = FreePort();
            var config = Path.Combine(state, "sshd_config");
            File.WriteAllText(config, $"""
                Port {port}
                ListenAddress 127.0.0.1
                HostKey {hostKeyFile}
                PidFile {Path.Combine(state, "sshd.pid")}
                AuthorizedKeysFile {authorizedKeys}
                StrictModes no
                UsePAM no
                PubkeyAuthentication yes
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                PermitRootLogin prohibit-password
                AllowTcpForwarding no
                AllowAgentForwarding no
                X11Forwarding no
                PermitTTY no
                PermitUserEnvironment no
                LogLevel VERBOSE

                """.ReplaceLineEndings("\n"));
            var psi = new ProcessStartInfo(sshd)
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            foreach (var a in new[] { "-D", "-e", "-f", config }) psi.ArgumentList.Add(a);
            var process = Process.Start(psi)!;
            var server = new SshGitServer(root, state, port, hostKey, process);
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (server._log) server._log.AppendLine(e.Data); };
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (server._log) server._log.AppendLine(e.Data); };
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();
            if (server.WaitUntilListening()) return server;
            var log = server.Log;
            server.Dispose();
            // Another process may have taken the port between probing and binding: try another.
            if (attempt >= 2 || !log.Contains("Address already in use", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"sshd did not start:\n{log}");
            }
        }
    }

    /// <summary>The only keys the server accepts from now on, each bound to one repository (a path under the root, e.g. github/acme/app.git).</summary>
    public void SetKeys(IEnumerable<(string PublicKey, string Repository)> keys)
    {
        var gate = Path.Combine(_state, "gate.sh");
        var lines = keys.Select(k =>
            $"restrict,command=\"'{gate}' '{_root}' '{k.Repository.Trim('/')}' '{AccessLog}'\" {k.PublicKey.Trim()}\n");
        var file = Path.Combine(_state, "authorized_keys");
        File.WriteAllText(file + ".new", string.Concat(lines));
        File.Move(file + ".new", file, overwrite: true);
    }

    public void Dispose()
    {
        try
        {
            if (!_sshd.HasExited) _sshd.Kill(entireProcessTree: true);
            _sshd.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _sshd.Dispose();
    }

    // The forced command: one repository, git's two transfer commands, nothing else; like a
    // forge, it says why it refuses. SSH_ORIGINAL_COMMAND is what the client asked for, e.g.
    // git-receive-pack '/github/acme/app.git'.
    private const string Gate = """
        #!/bin/sh
        root=$1 allowed=$2 log=$3
        verb=${SSH_ORIGINAL_COMMAND%% *}
        path=${SSH_ORIGINAL_COMMAND#* }
        path=${path#\'}; path=${path%\'}; path=${path#/}
        case "$verb" in
          git-receive-pack|git-upload-pack) ;;
          *) echo "$verb - refused" >>"$log"; echo "ERROR: this deploy key may only fetch and push" >&2; exit 1 ;;
        esac
        if [ "$path" != "$allowed" ]; then
          echo "$verb $path refused" >>"$log"
          echo "ERROR: Permission to $path denied to deploy key" >&2
          exit 1
        fi
        echo "$verb $path allowed" >>"$log"
        exec "$verb" "$root/$path"

        """;

    private bool WaitUntilListening()
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if (_sshd.HasExited) return false;
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                return true;
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }
        return false;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string? Sshd() =>
        OnPath("sshd") ?? new[] { "/usr/sbin/sshd", "/usr/local/sbin/sshd" }.FirstOrDefault(File.Exists);

    private static string? OnPath(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, command)).FirstOrDefault(File.Exists);

    private static void Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} failed ({p.ExitCode}): {stderr.Result}");
    }
}
