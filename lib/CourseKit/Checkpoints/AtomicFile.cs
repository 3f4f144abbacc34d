namespace CourseKit.Checkpoints;

/// <summary>
/// Writes a file so that readers see either the old content or the complete new one: the bytes go to a temporary
/// file in the same folder (same file system, so the final rename is atomic), are flushed to disk, and the temporary
/// file is then renamed over the target. If writing throws, the temporary file is deleted and the target is untouched.
/// </summary>
public static class AtomicFile
{
    const string TempSuffix = ".tmp";

    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>, atomically.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full) ?? throw new ArgumentException($"{path}: no parent folder", nameof(path));
        Directory.CreateDirectory(dir);
        var temp = TempPathFor(full);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    public static void WriteAllText(string path, string text) =>
        Write(path, s => { using var w = new StreamWriter(s, new System.Text.UTF8Encoding(false), leaveOpen: true); w.Write(text); });

    /// <summary>Whether <paramref name="fileName"/> looks like one of this class's temporary files (for cleanup after a crash).</summary>
    public static bool IsTempFile(string fileName)
    {
        var name = Path.GetFileName(fileName);
        return name.StartsWith('.') && name.EndsWith(TempSuffix, StringComparison.Ordinal) && name.Contains(".atomic-", StringComparison.Ordinal);
    }

    static string TempPathFor(string full) =>
        Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.atomic-{Guid.NewGuid():N}{TempSuffix}");
}
