using GitMirror.Host;

var commandLine = CommandLine.Parse(args);
switch (commandLine)
{
    case CommandLine.Help:
        Console.Out.WriteLine(CommandLine.Usage);
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
using var interrupt = session.StopOnInterrupt();
return session.Run(commandLine, modulePath);
