using System.Globalization;
using System.Management.Automation.Host;

namespace GitMirror.Host;

/// <summary>
/// The smallest PSHost that lets Out-Default render tables and carries `exit N` out of the engine:
/// a hosted runspace reports `exit` only through <see cref="SetShouldExit"/>.
/// </summary>
internal sealed class ConsoleHost : PSHost
{
    private readonly ConsoleUserInterface _ui = new();

    public override string Name => "gitmirror";

    public override Version Version { get; } = typeof(ConsoleHost).Assembly.GetName().Version ?? new Version(0, 0);

    public override Guid InstanceId { get; } = Guid.NewGuid();

    public override PSHostUserInterface UI => _ui;

    public override CultureInfo CurrentCulture => CultureInfo.CurrentCulture;

    public override CultureInfo CurrentUICulture => CultureInfo.CurrentUICulture;

    /// <summary>The code of the last `exit N` that reached the host; null when none did.</summary>
    public int? ExitCode { get; private set; }

    public override void SetShouldExit(int exitCode) => ExitCode = exitCode;

    public override void EnterNestedPrompt() => throw new NotSupportedException("gitmirror has no interactive prompt.");

    public override void ExitNestedPrompt() => throw new NotSupportedException("gitmirror has no interactive prompt.");

    public override void NotifyBeginApplication()
    {
    }

    public override void NotifyEndApplication()
    {
    }
}
