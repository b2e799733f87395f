using GitMirror.Host;

// Before anything reads a token or the webhook secret: from here on, other processes of the same
// user cannot read this one's memory or /proc/PID/environ, and no core dump holds them.
GitMirror.Core.Transport.ProcessHardening.ProtectSecrets();
StartupTrace.Mark(GitMirror.Core.Transport.ProcessHardening.IsDumpable == false ? "runtime started, not dumpable" : "runtime started");
// gitmirror is not pwsh: the engine's pwsh usage telemetry (ApplicationInsights: about 300 methods to
// JIT-compile, a quarter of a cold start) is not ours to send. A value the user set wins.
if (Environment.GetEnvironmentVariable("POWERSHELL_TELEMETRY_OPTOUT") is null) Environment.SetEnvironmentVariable("POWERSHELL_TELEMETRY_OPTOUT", "1");
var commandLine = CommandLine.Parse(args);
switch (commandLine)
{
    case CommandLine.Help:
        Console.Out.WriteLine(CommandLine.Usage);
        return ExitCodes.Success;
    case CommandLine.Version:
        Console.Out.WriteLine("gitmirror " + HostVersion.Text);
        return ExitCodes.Success;
    case CommandLine.Serve { Arguments: [var only] } when only is "-?" or "--help" or "-h" || only.Equals("-Help", StringComparison.OrdinalIgnoreCase):
        Console.Out.WriteLine(GitMirror.Host.Serve.ServeOptions.Usage);
        return ExitCodes.Success;
    case CommandLine.Serve serve:
        // No runspace: the service calls the engine directly (Serve/ServeCommand.cs says why).
        return GitMirror.Host.Serve.ServeCommand.Run(serve.Arguments);
    case CommandLine.Invalid invalid:
        if (invalid.Problem is not null) Console.Error.WriteLine("gitmirror: " + invalid.Problem);
        Console.Error.WriteLine(CommandLine.Usage);
        return ExitCodes.BadUsage;
}

var modulePath = ModuleLocator.Find();
if (modulePath is null)
{
    Console.Error.WriteLine($"gitmirror: the GitMirror module is missing: no Modules/GitMirror next to {AppContext.BaseDirectory} and ${ModuleLocator.EnvironmentVariable} names no module.");
    return ExitCodes.BadUsage;
}

using var session = new HostSession();
StartupTrace.Mark("engine and runspace opened");
using var interrupt = session.StopOnInterrupt();
var exitCode = session.Run(commandLine, modulePath);
StartupTrace.Mark("command finished");
return exitCode;
