using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace GitMirror.Core.Config;

/// <summary>
/// Who owns a file and what it is, without following a symbolic link: what .NET does not expose.
/// Linux reads it with <c>statx</c> (one struct layout on every architecture); elsewhere owner and
/// identity are unknown (null) and only the link check and the mode come from .NET.
/// </summary>
internal readonly record struct UnixFileStatus(uint? OwnerId, UnixFileMode Mode, bool IsSymbolicLink, bool IsDirectory,
    (ulong Device, ulong Inode)? Identity)
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7ff;
    private const int FileTypeMask = 0xF000;
    private const int SymbolicLinkType = 0xA000;
    private const int DirectoryType = 0x4000;

    /// <summary>The user id files must belong to: the effective uid of this process; null where unknown.</summary>
    public static uint? CurrentUserId { get; } = OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() ? geteuid() : null;

    public bool WritableByOthers => (Mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0;

    /// <summary>The entry at <paramref name="path"/> itself (a link is not followed); null when nothing is there.</summary>
    public static UnixFileStatus? Of(string path)
    {
        if (OperatingSystem.IsLinux())
        {
            return Statx(AtFdCwd, path, AtSymlinkNoFollow, out var status) ? status : null;
        }
        var info = new FileInfo(path);
        if (!info.Exists && !Directory.Exists(path) && info.LinkTarget is null) return null;
        var isLink = info.LinkTarget is not null;
        var isDirectory = !isLink && Directory.Exists(path);
        var mode = OperatingSystem.IsWindows() || isLink ? default : File.GetUnixFileMode(path);
        return new UnixFileStatus(null, mode, isLink, isDirectory, null);
    }

    /// <summary>The file an open handle refers to; identity is null where it cannot be read.</summary>
    public static UnixFileStatus? Of(SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux()) return null;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return Statx((int)handle.DangerousGetHandle(), "", AtEmptyPath, out var status) ? status : null;
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    private static bool Statx(int dirFd, string path, int flags, out UnixFileStatus status)
    {
        // struct statx is 256 bytes; the offsets below are the kernel ABI's, the same on every architecture.
        var buffer = new byte[256];
        if (statx(dirFd, path, flags, StatxBasicStats, buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is 2 or 20) // ENOENT, ENOTDIR
            {
                status = default;
                return false;
            }
            throw new IOException($"Cannot read the status of {path} (errno {errno}).");
        }
        var uid = BitConverter.ToUInt32(buffer, 20);
        var mode = BitConverter.ToUInt16(buffer, 28);
        var inode = BitConverter.ToUInt64(buffer, 32);
        var device = ((ulong)BitConverter.ToUInt32(buffer, 136) << 32) | BitConverter.ToUInt32(buffer, 140);
        status = new UnixFileStatus(uid, (UnixFileMode)(mode & 0xFFF),
            (mode & FileTypeMask) == SymbolicLinkType, (mode & FileTypeMask) == DirectoryType, (device, inode));
        return true;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string pathname, int flags, uint mask, [Out] byte[] statxbuf);

    [DllImport("libc")]
    private static extern uint geteuid();
}
