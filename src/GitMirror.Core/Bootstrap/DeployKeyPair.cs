using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace GitMirror.Core.Bootstrap;

/// <summary>
/// An SSH key pair made in memory for one CI's deploy key (ECDSA P-256, which every forge and
/// OpenSSH accept). The private half only ever goes to the CI secret store, as
/// <see cref="SecretValue"/>: never to disk, a log, an argument or an error message.
/// </summary>
public sealed class DeployKeyPair
{
    private const string KeyType = "ecdsa-sha2-nistp256";
    private readonly string _secretValue;

    private DeployKeyPair(string publicKey, string secretValue)
    {
        PublicKey = publicKey;
        _secretValue = secretValue;
    }

    /// <summary>The OpenSSH public key line: <c>ecdsa-sha2-nistp256 AAAA… comment</c>.</summary>
    public string PublicKey { get; }

    /// <summary>
    /// The private key as the CI secret holds it: Base64 of its PEM (SEC1 "EC PRIVATE KEY", which
    /// OpenSSH reads). One line from GitLab's masking alphabet, so GitLab can mask it.
    /// </summary>
    public string SecretValue => _secretValue;

    /// <param name="comment">The public key's comment (what the forges show next to it).</param>
    public static DeployKeyPair Generate(string comment)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = key.ExportECPrivateKeyPem();
        return new DeployKeyPair(PublicLine(key, comment), Convert.ToBase64String(Encoding.ASCII.GetBytes(pem + "\n")));
    }

    /// <summary>
    /// The public key (<c>type base64</c>) belonging to a <see cref="SecretValue"/>: which deploy key
    /// a CI secret opens. Throws <see cref="FormatException"/> for anything else, naming no part of it.
    /// </summary>
    public static string PublicKeyFromSecret(string secretValue)
    {
        try
        {
            using var key = ECDsa.Create();
            key.ImportFromPem(Encoding.ASCII.GetString(Convert.FromBase64String(secretValue)));
            return PublicLine(key, "");
        }
        catch (Exception e) when (e is FormatException or ArgumentException or CryptographicException)
        {
            throw new FormatException("not a GitMirror deploy key secret (Base64 of an EC private key PEM)");
        }
    }

    private static string PublicLine(ECDsa key, string comment)
    {
        var point = key.ExportParameters(includePrivateParameters: false).Q;
        var q = new byte[1 + point.X!.Length + point.Y!.Length];
        q[0] = 0x04; // uncompressed point
        point.X.CopyTo(q, 1);
        point.Y.CopyTo(q, 1 + point.X.Length);
        // RFC 5656 §3.1: string "ecdsa-sha2-nistp256", string "nistp256", string Q.
        using var blob = new MemoryStream();
        WriteString(blob, Encoding.ASCII.GetBytes(KeyType));
        WriteString(blob, Encoding.ASCII.GetBytes("nistp256"));
        WriteString(blob, q);
        return $"{KeyType} {Convert.ToBase64String(blob.ToArray())} {comment}".TrimEnd();
    }

    /// <summary>The public key without its comment (<c>type base64</c>): how forges compare keys.</summary>
    public static string WithoutComment(string publicKey)
    {
        var parts = publicKey.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length >= 2 ? $"{parts[0]} {parts[1]}" : publicKey.Trim();
    }

    // Never print the private half by accident.
    public override string ToString() => $"deploy key {WithoutComment(PublicKey)}";

    private static void WriteString(Stream stream, byte[] value)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)value.Length);
        stream.Write(length);
        stream.Write(value);
    }
}
