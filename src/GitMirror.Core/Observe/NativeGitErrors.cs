using System.Runtime.InteropServices;
using LibGit2Sharp;

namespace GitMirror.Core.Observe;

/// <summary>
/// LibGit2Sharp 0.32 passes libgit2's error message to string.Format as the format string, so a
/// message holding a brace (a ref name like main@{0}, a server's text) turns into a FormatException
/// and the real error is lost. This recovers it from libgit2 itself.
/// </summary>
internal static partial class NativeGitErrors
{
    public static T Run<T>(Func<T> call)
    {
        try
        {
            return call();
        }
        catch (FormatException e) when (e.StackTrace?.Contains("LibGit2SharpException", StringComparison.Ordinal) == true)
        {
            throw new LibGit2SharpException(LastMessage() ?? "libgit2 failed (its message could not be read)", e);
        }
    }

    public static void Run(Action call) => Run(() =>
    {
        call();
        return true;
    });

    private static string? LastMessage()
    {
        try
        {
            var error = git_error_last();
            return error == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(Marshal.ReadIntPtr(error));
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    // The native library LibGit2Sharp ships (resolved by the module's load context like LibGit2Sharp's own imports).
    [LibraryImport("git2-5853918")]
    private static partial IntPtr git_error_last();
}
