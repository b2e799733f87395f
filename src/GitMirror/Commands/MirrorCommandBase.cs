using System.Collections.Concurrent;
using System.Management.Automation;
using GitMirror.Core.Config;

namespace GitMirror.Commands;

/// <summary>
/// What every GitMirror cmdlet shares: -Path, loading the config (a bad file is a terminating
/// MirrorConfigInvalid error), Ctrl+C as a cancellation token, and a pump that lets work on other
/// threads write to the pipeline from the pipeline thread.
/// </summary>
public abstract class MirrorCommandBase : PSCmdlet
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly Dictionary<string, MirrorConfig> _configs = new(StringComparer.Ordinal);
    private volatile BlockingCollection<Action>? _pipelineQueue;
    private int _pipelineThreadId;
    private CancellationToken _pumpToken;

    /// <summary>The repos.yaml to read: default $env:GITMIRROR_CONFIG, else ./repos.yaml.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>Cancelled by Ctrl+C (StopProcessing).</summary>
    protected CancellationToken StopToken => _stopping.Token;

    protected override void StopProcessing() => _stopping.Cancel();

    /// <summary>The config named by -Path (or its defaults), loaded once per invocation.</summary>
    protected MirrorConfig LoadConfig()
    {
        var fullPath = ResolveFileSystemPath(ConfigLoader.ChoosePath(Path), nameof(Path));
        if (_configs.TryGetValue(fullPath, out var cached)) return cached;
        try
        {
            WriteVerbose($"Reading {fullPath}");
            var config = ConfigLoader.Load(fullPath);
            foreach (var warning in config.Warnings) WriteWarning(warning);
            if (config.Organizations.Count > 0) config = ExpandOrganizations(config);
            _configs[fullPath] = config;
            return config;
        }
        catch (MirrorConfigException e)
        {
            OnConfigInvalid();
            ThrowTerminatingError(new ErrorRecord(e, "MirrorConfigInvalid", ErrorCategory.InvalidData, fullPath)
            {
                ErrorDetails = new ErrorDetails(e.Message)
                {
                    RecommendedAction = e.Line > 0 ? "Fix the file at the line and column named, then run the command again."
                        : !File.Exists(fullPath) ? $"Give -Path, set ${ConfigLoader.EnvironmentVariable}, or create {ConfigLoader.DefaultFileName} in the current directory."
                        : "Fix the file as the message says, then run the command again.",
                },
            });
            throw; // not reached: ThrowTerminatingError always throws
        }
    }

    /// <summary>True once an organisation's listing failed (a MirrorOrganizationListingFailed error was written).</summary>
    protected bool OrganizationListingFailed { get; private set; }

    /// <summary>
    /// The config's organisations expanded into pairs (from the cache while it is fresh). A listing
    /// that fails is a non-terminating error for that organisation; the other pairs still run.
    /// </summary>
    private MirrorConfig ExpandOrganizations(MirrorConfig config)
    {
        var messages = new Core.CollectingMirrorLog();
        var expander = new Core.Organizations.OrganizationExpander(messages);
        Core.Organizations.OrganizationExpansion expansion;
        try
        {
            // Off the pipeline thread (the listing is async); its messages are written here afterwards.
            expansion = Task.Run(() => expander.ExpandAsync(config, StopToken)).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (StopToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        finally
        {
            messages.Replay(WriteVerbose, WriteWarning);
        }
        WriteVerbose($"{config.Organizations.Count} organisations: {expansion.Config.Pairs.Count - config.Pairs.Count} pairs ({expander.Requests} API requests)");
        foreach (var failure in expansion.Failures)
        {
            OrganizationListingFailed = true;
            var category = failure.Kind switch
            {
                Core.Transport.TransportFailureKind.NotFound => ErrorCategory.ObjectNotFound,
                Core.Transport.TransportFailureKind.Permission => ErrorCategory.PermissionDenied,
                Core.Transport.TransportFailureKind.Authentication => ErrorCategory.AuthenticationError,
                _ => ErrorCategory.ConnectionError,
            };
            WriteError(new ErrorRecord(failure, "MirrorOrganizationListingFailed", category, failure.Rule.GitHub)
            {
                ErrorDetails = new ErrorDetails(failure.Message)
                {
                    RecommendedAction = "Give the token the access named, or fix the organisation's name in the config file; the other organisations and pairs are not affected.",
                },
            });
        }
        return expansion.Config;
    }

    /// <summary>
    /// A path parameter resolved as PowerShell resolves paths (relative to the current location,
    /// through PSDrives such as TestDrive:, ~ expanded) to a file system path; the file need not
    /// exist. Anything that is not a file system path stops the command (MirrorPathInvalid).
    /// </summary>
    protected string ResolveFileSystemPath(string path, string parameterName)
    {
        string resolved;
        ProviderInfo provider;
        try
        {
            resolved = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out provider, out _);
        }
        catch (Exception e) when (e is SessionStateException or NotSupportedException or ArgumentException or PSArgumentException)
        {
            ThrowPathInvalid(path, parameterName, e.Message, e);
            throw; // not reached
        }
        if (provider.ImplementingType != typeof(Microsoft.PowerShell.Commands.FileSystemProvider))
        {
            ThrowPathInvalid(path, parameterName, $"it is a {provider.Name} path, not a file system path", null);
        }
        return resolved;
    }

    private void ThrowPathInvalid(string path, string parameterName, string why, Exception? inner)
    {
        OnConfigInvalid();
        var message = $"-{parameterName} '{path}': {why}.";
        ThrowTerminatingError(new ErrorRecord(new ArgumentException(message, parameterName, inner), "MirrorPathInvalid", ErrorCategory.InvalidArgument, path)
        {
            ErrorDetails = new ErrorDetails(message),
        });
    }

    /// <summary>Called just before a bad config stops the command (Sync records exit code 3).</summary>
    protected virtual void OnConfigInvalid()
    {
    }

    /// <summary>True once a pair name or pattern matched nothing (a MirrorPairNotFound error was written).</summary>
    protected bool PairNotFound { get; private set; }

    /// <summary>
    /// The pairs whose names match any of <paramref name="names"/> (wildcards allowed). A name or
    /// pattern that matches nothing is a non-terminating MirrorPairNotFound error: a typo in a
    /// scheduled run must not sync nothing and report success.
    /// </summary>
    protected IReadOnlyList<MirrorPair> SelectPairs(MirrorConfig config, string[]? names)
    {
        if (names is null || names.Length == 0) return config.Pairs;
        var selected = new List<MirrorPair>();
        foreach (var name in names)
        {
            var pattern = WildcardPattern.Get(name, WildcardOptions.IgnoreCase);
            var matches = config.Pairs.Where(p => pattern.IsMatch(p.Name)).ToList();
            if (matches.Count == 0) WritePairNotFound(config, name, asPattern: WildcardPattern.ContainsWildcardCharacters(name));
            selected.AddRange(matches.Where(m => !selected.Contains(m)));
        }
        return selected;
    }

    /// <summary>The pair named exactly <paramref name="name"/> (no wildcards), or null after a MirrorPairNotFound error.</summary>
    protected MirrorPair? FindPair(MirrorConfig config, string name)
    {
        var pair = config.Pairs.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
        if (pair is null) WritePairNotFound(config, name, asPattern: false);
        return pair;
    }

    private void WritePairNotFound(MirrorConfig config, string name, bool asPattern)
    {
        PairNotFound = true;
        var message = asPattern
            ? $"No pair of {config.ConfigPath} matches '{name}'."
            : $"No pair named '{name}' in {config.ConfigPath}.";
        WriteError(new ErrorRecord(new ItemNotFoundException(message), "MirrorPairNotFound", ErrorCategory.ObjectNotFound, name)
        {
            ErrorDetails = new ErrorDetails(message) { RecommendedAction = "Get-MirrorPair lists the pair names of the configuration." },
        });
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the thread pool while this (the pipeline) thread performs
    /// whatever the work posts through <see cref="OnPipelineThread"/>: cmdlet output may only be
    /// written from the pipeline thread. When the pump ends early (Ctrl+C, a downstream command
    /// that threw, Select-Object -First), the work is cancelled and waited for before this returns,
    /// so nothing of it runs on after the command; from then on every write it attempts is a
    /// PipelineStoppedException and every prompt a cancellation.
    /// </summary>
    protected void RunPumped(Func<CancellationToken, Task> work)
    {
        using var queue = new BlockingCollection<Action>();
        using var pumpStopping = CancellationTokenSource.CreateLinkedTokenSource(StopToken);
        _pipelineThreadId = Environment.CurrentManagedThreadId;
        _pumpToken = pumpStopping.Token;
        _pipelineQueue = queue;
        var task = Task.Run(async () =>
        {
            try
            {
                await work(pumpStopping.Token).ConfigureAwait(false);
            }
            finally
            {
                queue.CompleteAdding();
            }
        });
        var pumped = false;
        try
        {
            foreach (var action in queue.GetConsumingEnumerable())
            {
                action();
            }
            pumped = true;
        }
        finally
        {
            if (!pumped)
            {
                pumpStopping.Cancel();
                _pipelineQueue = null; // workers' writes now throw instead of queuing
                foreach (var _ in queue.GetConsumingEnumerable())
                {
                    // Dropped: the pipeline no longer takes output. Draining unblocks the worker.
                }
                try
                {
                    task.Wait(CancellationToken.None);
                }
                catch (AggregateException)
                {
                    // The work's own end (cancelled, or stopped writing): the pump's exception is what counts.
                }
            }
            _pipelineQueue = null;
        }
        try
        {
            task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (StopToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    /// <summary>
    /// Queues an action for the pipeline thread (runs it at once when called there). From a worker
    /// after the pump ended it throws PipelineStoppedException: nothing writes to a stopped pipeline.
    /// </summary>
    protected void OnPipelineThread(Action action)
    {
        var queue = _pipelineQueue;
        if (queue is not null)
        {
            try
            {
                queue.Add(action);
                return;
            }
            catch (InvalidOperationException) when (queue.IsAddingCompleted)
            {
                throw new PipelineStoppedException();
            }
            catch (ObjectDisposedException)
            {
                throw new PipelineStoppedException();
            }
        }
        if (_pipelineThreadId != 0 && Environment.CurrentManagedThreadId != _pipelineThreadId) throw new PipelineStoppedException();
        action();
    }

    /// <summary>Asks ShouldProcess from any thread and waits for the pipeline thread's answer (cancelled when the pump ends).</summary>
    protected bool ShouldProcessFromWorker(string target, string action)
    {
        if (_pipelineQueue is null && Environment.CurrentManagedThreadId == _pipelineThreadId) return ShouldProcess(target, action);
        if (_pipelineThreadId == 0) return ShouldProcess(target, action);
        var answer = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        OnPipelineThread(() =>
        {
            try { answer.SetResult(ShouldProcess(target, action)); }
            catch (Exception e) { answer.SetException(e); }
        });
        return answer.Task.WaitAsync(_pumpToken).GetAwaiter().GetResult();
    }

    /// <summary>
    /// ShouldProcess for a ConfirmImpact High change that -Force may approve: -WhatIf still only
    /// describes it, and an explicit -Confirm still asks; otherwise -Force skips the prompt.
    /// </summary>
    protected bool ShouldProcessFromWorker(string target, string action, bool force)
    {
        if (force && !IsWhatIf && !MyInvocation.BoundParameters.ContainsKey("Confirm"))
        {
            Log.Verbose($"{action} on {target} (-Force)");
            return true;
        }
        return ShouldProcessFromWorker(target, action);
    }

    /// <summary>-WhatIf given, or $WhatIfPreference set by the caller.</summary>
    protected bool IsWhatIf =>
        MyInvocation.BoundParameters.TryGetValue("WhatIf", out var value) ? ((SwitchParameter)value).IsPresent
        : GetVariableValue("WhatIfPreference") is { } preference && LanguagePrimitives.IsTrue(preference);

    /// <summary>An <see cref="Core.IMirrorLog"/> whose messages reach this cmdlet's Verbose and Warning streams.</summary>
    protected Core.IMirrorLog Log => _log ??= new CmdletLog(this);

    private Core.IMirrorLog? _log;

    private sealed class CmdletLog(MirrorCommandBase cmdlet) : Core.IMirrorLog
    {
        public void Verbose(string message) => cmdlet.OnPipelineThread(() => cmdlet.WriteVerbose(message));

        public void Warning(string message) => cmdlet.OnPipelineThread(() => cmdlet.WriteWarning(Core.Report.ServerText.Printable(message)));
    }
}
