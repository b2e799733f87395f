using System.Buffers.Binary;
using System.Text;

namespace GitMirror.Testing.Fakes;

/// <summary>
/// A deploy key as the forge fakes hold it. <see cref="AddedBy"/> is the account whose token added
/// it: both forges attribute pushes made with the key to that account (GitHub's github.actor,
/// GitLab's GITLAB_USER_LOGIN).
/// </summary>
public sealed record FakeDeployKey(long Id, string Title, string Key, bool CanPush, string AddedBy)
{
    /// <summary>
    /// The key as the forges accept it: <c>type base64 [comment]</c> whose blob names the same type.
    /// Returns <c>type base64</c> (what the forges store and compare), or null for anything else.
    /// </summary>
    public static string? Normalize(string? line)
    {
        var parts = (line ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2 || parts[0] is not ("ssh-ed25519" or "ecdsa-sha2-nistp256" or "ecdsa-sha2-nistp384" or "ecdsa-sha2-nistp521" or "ssh-rsa")) return null;
        try
        {
            var blob = Convert.FromBase64String(parts[1]);
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(blob);
            if (length != parts[0].Length || Encoding.ASCII.GetString(blob, 4, length) != parts[0]) return null;
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            return null;
        }
        return $"{parts[0]} {parts[1]}";
    }
}
