using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace GitMirror.LoadContext;

/// <summary>
/// The module-private load context. Other modules in the same session (powershell-yaml, platyPS, Az)
/// bring their own YamlDotNet or Octokit; keeping ours here means neither side sees the other's
/// version. Only GitMirror.Model and PowerShell itself are shared with the default context.
/// </summary>
public sealed class ModuleLoadContext : AssemblyLoadContext
{
    private static readonly object Gate = new();
    private static ModuleLoadContext? _instance;

    private readonly string _binPath;
    private readonly ConcurrentDictionary<string, IntPtr> _nativeHandles = new(StringComparer.Ordinal);

    private ModuleLoadContext(string binPath) : base("GitMirror", isCollectible: false)
    {
        _binPath = binPath;
    }

    /// <summary>
    /// Loads the cmdlet assembly into the private context and returns it for Import-Module -Assembly.
    /// The context is created once per process: re-importing the module reuses it, because an
    /// assembly cannot be loaded twice into one non-collectible context.
    /// </summary>
    public static Assembly Initialize(string binPath, string mainAssemblyName)
    {
        lock (Gate)
        {
            _instance ??= new ModuleLoadContext(Path.GetFullPath(binPath));
            return _instance.LoadFromAssemblyName(new AssemblyName(mainAssemblyName));
        }
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        var name = assemblyName.Name;
        if (string.IsNullOrEmpty(name)) return null;

        // The public objects must have one identity: take the Model the module manifest loaded.
        if (name == "GitMirror.Model")
        {
            return Default.Assemblies.FirstOrDefault(a => a.GetName().Name == name)
                ?? Default.LoadFromAssemblyPath(Path.Combine(Path.GetDirectoryName(_binPath)!, name + ".dll"));
        }

        var candidate = Path.Combine(_binPath, name + ".dll");
        // Anything not shipped in bin (System.*, System.Management.Automation) comes from the default context.
        return File.Exists(candidate) ? LoadFromAssemblyPath(candidate) : null;
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        // Asked once per P/Invoke entry point: resolve each library once.
        return _nativeHandles.GetOrAdd(unmanagedDllName, ResolveNative);
    }

    private IntPtr ResolveNative(string unmanagedDllName)
    {
        var nativeDir = Path.Combine(_binPath, "runtimes", RuntimeIdentifier(), "native");
        foreach (var file in NativeFileNames(unmanagedDllName))
        {
            var candidate = Path.Combine(nativeDir, file);
            if (File.Exists(candidate)) return NativeLibrary.Load(candidate);
        }
        return IntPtr.Zero; // let the runtime try its default probing
    }

    private static IEnumerable<string> NativeFileNames(string name)
    {
        yield return name;
        if (OperatingSystem.IsWindows())
        {
            yield return name + ".dll";
        }
        else if (OperatingSystem.IsMacOS())
        {
            yield return name + ".dylib";
            yield return "lib" + name + ".dylib";
        }
        else
        {
            yield return name + ".so";
            yield return "lib" + name + ".so";
        }
    }

    private static string RuntimeIdentifier()
    {
        var arch = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.Arm64 => "arm64",
            _ => "x64",
        };
        if (OperatingSystem.IsWindows()) return "win-" + arch;
        if (OperatingSystem.IsMacOS()) return "osx-" + arch;
        return "linux-" + arch;
    }
}
