namespace GitMirror.Host;

/// <summary>What the user asked for on the command line.</summary>
internal abstract record CommandLine
{
    /// <summary>The words, joined by spaces, form one PowerShell command line.</summary>
    public sealed record Command(string Text) : CommandLine;

    /// <summary><c>-File script.ps1 [args…]</c>.</summary>
    public sealed record File(string Path, IReadOnlyList<string> Arguments) : CommandLine;

    public sealed record Help : CommandLine;

    /// <summary><c>--version</c> or <c>-Version</c>.</summary>
    public sealed record Version : CommandLine;

    /// <summary><c>serve [parameters…]</c>: the mirror service (Serve/ServeCommand).</summary>
    public sealed record Serve(IReadOnlyList<string> Arguments) : CommandLine;

    /// <summary>Not runnable; <paramref name="Problem"/> says why (null: no arguments at all).</summary>
    public sealed record Invalid(string? Problem) : CommandLine;

    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        if (args.Count == 0) return new Invalid(null);
        var first = args[0];
        if (first is "--help" or "-?" or "-h" or "/?" || first.Equals("-Help", StringComparison.OrdinalIgnoreCase))
        {
            return new Help();
        }
        if (args.Count == 1 && (first is "--version" || first.Equals("-Version", StringComparison.OrdinalIgnoreCase)))
        {
            return new Version();
        }
        if (first.Equals("serve", StringComparison.OrdinalIgnoreCase))
        {
            return new Serve([.. args.Skip(1)]);
        }
        if (first.Equals("-File", StringComparison.OrdinalIgnoreCase) || first.Equals("-f", StringComparison.OrdinalIgnoreCase))
        {
            return args.Count < 2 ? new Invalid("-File needs the path of a script.") : new File(args[1], [.. args.Skip(2)]);
        }
        if (first.Equals("-Command", StringComparison.OrdinalIgnoreCase) || first.Equals("-c", StringComparison.OrdinalIgnoreCase))
        {
            // Accepted for pwsh muscle memory: `gitmirror -Command '…'` means the same as without it.
            return args.Count < 2 ? new Invalid("-Command needs a command.") : new Command(string.Join(' ', args.Skip(1)));
        }
        return new Command(string.Join(' ', args));
    }

    public const string Usage = """
        Usage:
          gitmirror <command words…>            run one PowerShell command line with GitMirror loaded
          gitmirror -File <script.ps1> [args…]  run a script with arguments
          gitmirror serve [-Path <repos.yaml>] …  the webhook-driven mirror service (gitmirror serve -?)
          gitmirror --help                      show this text
          gitmirror --version                   show the version

        The words are joined by spaces into one command line: quote as you would in PowerShell.
          gitmirror Sync-MirrorPair -All -Path repos.yaml
          gitmirror 'Compare-MirrorRef -Path repos.yaml | Where-Object Diverged'

        Exit codes: 0 success; 1 a pair has diverged refs; 2 a pair failed or an error was written;
        3 bad configuration or usage (nothing ran); 130 interrupted; `exit N` in a script gives N.
        The module is loaded from the Modules/GitMirror folder next to gitmirror, else from
        $GITMIRROR_MODULE_PATH.
        """;
}
