using System.Security.Cryptography;

namespace CourseKit.Data;

/// <summary>Streaming sha256 of files and of data while it is being copied.</summary>
public static class FileHash
{
    /// <summary>Lowercase hex sha256 of a file, read in chunks.</summary>
    public static string Sha256(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
    }

    /// <summary>Copies <paramref name="source"/> to <paramref name="destination"/> and returns the sha256 of the bytes copied.</summary>
    public static string CopyAndHash(Stream source, Stream destination)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        int read;
        while ((read = source.Read(buffer, 0, buffer.Length)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            destination.Write(buffer, 0, read);
        }
        return Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
    }
}
