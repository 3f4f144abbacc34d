using System.Text.Json;
using System.Text.Json.Nodes;
using CourseKit.Checkpoints;

namespace CourseKit.Tasks.Monitoring;

/// <summary>
/// The folder <c>monitor run</c> loads: classifier/ (the fine-tuned Hugging Face sequence classifier), ner/ (the
/// token classifier, optional), drift-reference.f32 (training-sentence embeddings) and monitor.json (temperature,
/// reference negative share, detector and out-of-domain settings).
/// </summary>
public sealed class MonitorModel
{
    public const string SettingsFile = "monitor.json", ClassifierFolder = "classifier", NerFolder = "ner", ReferenceFile = "drift-reference.f32";

    public required ISentimentScorer Scorer { get; init; }
    public required MonitorSettings Settings { get; init; }
    public OutOfDomainReference? OutOfDomain { get; init; }
    public IEntityTagger? Tagger { get; init; }

    /// <summary><paramref name="embedderDir"/>: the pretrained encoder whose embeddings the out-of-domain reference holds
    /// (null: the classifier's own); recorded by path, it is not copied.</summary>
    public static void Save(string dir, string classifierDir, string? nerDir, MonitorSettings settings, OutOfDomainReference reference, int maxLength,
        string? embedderDir = null)
    {
        Directory.CreateDirectory(dir);
        CopyFolder(classifierDir, Path.Combine(dir, ClassifierFolder));
        if (nerDir is not null) CopyFolder(nerDir, Path.Combine(dir, NerFolder));
        reference.Save(Path.Combine(dir, ReferenceFile));
        var json = SettingsJson(settings);
        json["out_of_domain_threshold"] = reference.Threshold;
        json["reference_count"] = reference.Embeddings.Length;
        json["reference_dimension"] = reference.Dimension;
        json["max_length"] = maxLength;
        json["drift_encoder"] = embedderDir is null ? null : PortablePath(embedderDir);
        AtomicFile.WriteAllText(Path.Combine(dir, SettingsFile), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    public static MonitorModel Load(string dir)
    {
        var settingsPath = Path.Combine(dir, SettingsFile);
        if (!File.Exists(settingsPath))
            throw new DirectoryNotFoundException($"{dir}: not a monitor model folder (no {SettingsFile}); train one first (monitor train writes <out>/model)");
        var json = JsonNode.Parse(File.ReadAllText(settingsPath))!.AsObject();
        double D(string name) => Number(json, name, settingsPath);
        var settings = ReadSettings(json, settingsPath);
        var embedderDir = json["drift_encoder"]?.GetValue<string>();
        var embedder = embedderDir is null ? null : Models.SentenceEncoder.Load(ImportedEncoders.EnsureFolder(embedderDir), maxLength: (int)D("max_length"));
        var scorer = SentimentClassifier.Load(Path.Combine(dir, ClassifierFolder), (int)D("max_length"), embedder);
        SentimentLabels.Require(scorer.Labels, Path.Combine(dir, ClassifierFolder));
        var reference = OutOfDomainReference.Load(Path.Combine(dir, ReferenceFile), (int)D("reference_count"), (int)D("reference_dimension"), D("out_of_domain_threshold"));
        var nerDir = Path.Combine(dir, NerFolder);
        return new MonitorModel
        {
            Scorer = scorer, Settings = settings, OutOfDomain = reference,
            Tagger = Directory.Exists(nerDir) ? NerEntityTagger.Load(nerDir) : null,
        };
    }

    /// <summary>The <see cref="MonitorSettings"/> part of the settings file.</summary>
    public static JsonObject SettingsJson(MonitorSettings settings) => new()
    {
        ["temperature"] = settings.Temperature, ["reference_negative_share"] = settings.ReferenceNegativeShare,
        ["warmup_days"] = settings.WarmupDays, ["detector"] = DetectorName(settings.Detector),
        ["detector_slack"] = settings.DetectorSlack, ["detector_threshold"] = settings.DetectorThreshold,
        ["min_day_count"] = settings.MinDayCount, ["out_of_domain_day_share"] = settings.OutOfDomainDayShare,
    };

    /// <summary>The monitor's settings from its settings file (<paramref name="path"/> names it in errors).</summary>
    public static MonitorSettings ReadSettings(JsonObject json, string path)
    {
        double D(string name) => Number(json, name, path);
        var settings = new MonitorSettings
        {
            Temperature = D("temperature"), ReferenceNegativeShare = D("reference_negative_share"), WarmupDays = (int)D("warmup_days"),
            MinDayCount = (int)D("min_day_count"), OutOfDomainDayShare = D("out_of_domain_day_share"),
        };
        // Monitors saved before the detector was a setting ran a CUSUM and stored cusum_k / cusum_h.
        return json["detector"] is null
            ? settings with { Detector = ChangeDetectorKind.Cusum, DetectorSlack = D("cusum_k"), DetectorThreshold = D("cusum_h") }
            : settings with { Detector = ParseDetector(json["detector"]!.GetValue<string>(), path), DetectorSlack = D("detector_slack"), DetectorThreshold = D("detector_threshold") };
    }

    /// <summary>A number of the settings file; a missing or non-numeric field is named with the file.</summary>
    static double Number(JsonObject json, string name, string path)
    {
        var node = json[name] ?? throw new InvalidDataException($"{path}: missing \"{name}\"");
        try { return node.GetValue<double>(); }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: \"{name}\" is {node.ToJsonString()}, not a number", e);
        }
    }

    public static string DetectorName(ChangeDetectorKind kind) => kind == ChangeDetectorKind.Cusum ? "cusum" : "page-hinkley";

    static ChangeDetectorKind ParseDetector(string name, string path) => name switch
    {
        "cusum" => ChangeDetectorKind.Cusum,
        "page-hinkley" => ChangeDetectorKind.PageHinkley,
        _ => throw new InvalidDataException($"{path}: \"detector\" is '{name}'; expected cusum or page-hinkley"),
    };

    /// <summary>The imported default encoder as a path relative to the repository (it is re-imported on another
    /// machine); any other folder as an absolute path.</summary>
    static string PortablePath(string dir)
    {
        var full = Path.GetFullPath(dir);
        return ImportedEncoders.IsKnownEncoderFolder(full) && CoursePaths.RepoRoot is { } root ? Path.GetRelativePath(root, full) : full;
    }

    static void CopyFolder(string from, string to)
    {
        if (Path.GetFullPath(from) == Path.GetFullPath(to)) return;
        if (Directory.Exists(to)) Directory.Delete(to, recursive: true);
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }
}
