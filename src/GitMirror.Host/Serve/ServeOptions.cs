using System.Globalization;
using System.Net;

namespace GitMirror.Host.Serve;

/// <summary>
/// <c>gitmirror serve -Path &lt;config&gt; [-Listen &lt;address:port&gt;] [-PollIntervalSec &lt;int&gt;]
/// [-Shard &lt;i/n&gt; -Peers &lt;url1,…,urlN&gt;] [-LogPath &lt;file&gt;]</c> (design.md §8). Parameter names
/// are case-insensitive and may be shortened to any unambiguous prefix, as in PowerShell.
/// </summary>
internal sealed record ServeOptions
{
    public const string DefaultListen = "127.0.0.1:8080";

    private static readonly string[] Names = ["Path", "Listen", "PollIntervalSec", "Shard", "Peers", "LogPath", "StatusListen"];

    public string? Path { get; init; }

    public string Listen { get; init; } = DefaultListen;

    public int PollIntervalSec { get; init; } = 300;

    public string? Shard { get; init; }

    public string? Peers { get; init; }

    public string? LogPath { get; init; }

    /// <summary>Where /, /status, /metrics and POST /pairs/{name}/sync are served instead of -Listen (null: on -Listen).</summary>
    public string? StatusListen { get; init; }

    public const string Usage = """
        Usage: gitmirror serve [-Path <repos.yaml>] [-Listen <address:port>] [-PollIntervalSec <int>]
                               [-Shard <i/n> -Peers <url1,…,urlN>] [-LogPath <file>]
                               [-StatusListen <address:port>]

        Receives GitHub and GitLab push webhooks on POST /hooks/github and /hooks/gitlab, syncs the
        pushed pair at once, and polls every pair every -PollIntervalSec seconds (default 300; 0: never).
          -Listen           default 127.0.0.1:8080 (0.0.0.0:8080 or [::]:8080 for every interface)
          -Shard, -Peers    this replica owns shard i of n; -Peers lists the base URLs of the owners of
                            shards 1…n in order (its own included); events for other pairs are forwarded
          -LogPath          JSON lines: one per sync and per event (event, refused, forwarded, ignored)
          -StatusListen     serve /, /status, /metrics and POST /pairs/<name>/sync here; -Listen then
                            serves only /hooks/*, /healthz and /readyz (what an Ingress should expose)
        The webhook secret comes from $GITMIRROR_WEBHOOK_SECRET (or the variable the config's
        webhookSecretEnv: names). Also served: /healthz, /readyz, /metrics, /status and / (status page).
        $GITMIRROR_STATUS_TOKEN, when set, guards /, /status, /metrics and /pairs/* (Basic
        authentication with the token as password, or Authorization: Bearer) and allows "sync now".
        """;

    /// <exception cref="FormatException">What is wrong with the arguments.</exception>
    public static ServeOptions Parse(IReadOnlyList<string> args)
    {
        var options = new ServeOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var word = args[i];
            if (!word.StartsWith('-') || word.Length < 2) throw new FormatException($"unexpected argument '{word}': serve takes only named parameters.");
            var colon = word.IndexOf(':');
            var given = colon > 0 ? word[1..colon] : word[1..];
            var matches = Names.Where(n => n.StartsWith(given, StringComparison.OrdinalIgnoreCase)).ToList();
            var exact = Names.FirstOrDefault(n => n.Equals(given, StringComparison.OrdinalIgnoreCase));
            var name = exact ?? (matches.Count == 1 ? matches[0]
                : throw new FormatException(matches.Count == 0
                    ? $"serve has no parameter -{given} (it takes -{string.Join(", -", Names)})."
                    : $"-{given} is ambiguous: -{string.Join(", -", matches)}."));
            string value;
            if (colon > 0) value = word[(colon + 1)..];
            else if (i + 1 < args.Count) value = args[++i];
            else throw new FormatException($"-{name} needs a value.");

            options = name switch
            {
                "Path" => options with { Path = value },
                "Listen" => options with { Listen = value },
                "PollIntervalSec" => options with
                {
                    PollIntervalSec = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
                        ? seconds : throw new FormatException($"-PollIntervalSec '{value}' is not a whole number of seconds (0 turns polling off)."),
                },
                "Shard" => options with { Shard = value },
                "Peers" => options with { Peers = value },
                "LogPath" => options with { LogPath = value },
                "StatusListen" => options with { StatusListen = value },
                _ => throw new InvalidOperationException(name),
            };
        }
        if (options.Peers is not null && options.Shard is null) throw new FormatException("-Peers needs -Shard i/n.");
        if (options.Shard is not null && options.Peers is null) throw new FormatException("-Shard needs -Peers: the base URLs of the owners of all shards, in order.");
        ParseListen(options.Listen);
        if (options.StatusListen is not null) ParseListen(options.StatusListen, "-StatusListen");
        return options;
    }

    /// <summary>"address:port": an IP literal (IPv6 in brackets), localhost, or * for every interface.</summary>
    public static (IPAddress? Address, bool Localhost, int Port) ParseListen(string listen, string parameter = "-Listen")
    {
        var colon = listen.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(listen[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            throw new FormatException($"{parameter} '{listen}' is not address:port (for example 127.0.0.1:8080 or 0.0.0.0:8080).");
        }
        var host = listen[..colon].Trim('[', ']');
        if (host is "*" or "") return (IPAddress.IPv6Any, false, port);
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return (null, true, port);
        return IPAddress.TryParse(host, out var address)
            ? (address, false, port)
            : throw new FormatException($"{parameter} '{listen}': '{host}' is not an IP address (use 127.0.0.1, 0.0.0.0, [::] or localhost).");
    }
}
