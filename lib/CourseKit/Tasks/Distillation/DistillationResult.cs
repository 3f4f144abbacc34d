using System.Text.Json;
using System.Text.Json.Serialization;
using CourseKit.Checkpoints;
using CourseKit.Viz;

namespace CourseKit.Tasks.Distillation;

/// <summary>One row of the results table: a model's test scores, size and speed, the speeds also as ratios to the
/// teacher timed in the same run (interleaved, medians).</summary>
public sealed record DistillationRow
{
    public required string Name { get; init; }
    /// <summary>"teacher", or the student's kind (2L, 3L, 2L-random, 3L-random, kit).</summary>
    public required string Student { get; init; }
    /// <summary>"hard" for the control, "hard+transfer" for hard labels on the teacher-labelled transfer set too, else the
    /// distillation losses ("soft+hidden").</summary>
    public required string Losses { get; init; }
    public int Layers { get; init; }
    public int LabelledExamples { get; init; }
    public int TransferExamples { get; init; }
    public double TestAccuracy { get; init; }
    public double TestMacroF1 { get; init; }
    public double ValidationMacroF1 { get; init; }
    /// <summary>Test accuracy / the teacher's test accuracy.</summary>
    public double ShareOfTeacherAccuracy { get; init; }
    public long Parameters { get; init; }
    /// <summary>Size of model.safetensors (float32).</summary>
    public long CheckpointBytes { get; init; }
    public double Batch1LatencyMs { get; init; }
    public double Batch32LatencyMs { get; init; }
    /// <summary>Sequences per second at batch 32.</summary>
    public double Batch32Throughput { get; init; }
    /// <summary>Teacher's batch-1 latency / this model's (× faster).</summary>
    public double Batch1SpeedUp { get; init; }
    /// <summary>This model's batch-32 throughput / the teacher's.</summary>
    public double Batch32SpeedUp { get; init; }
    public double ParameterShare { get; init; }
    public long Steps { get; init; }
    public double TrainSeconds { get; init; }
    /// <summary>The model's Hugging Face folder.</summary>
    public string? ModelDir { get; init; }
}

/// <summary>A distillation run: the teacher's row, one row per student (controls included), and the settings.</summary>
public sealed record DistillationResult
{
    public const string ResultFile = "results.json", TableFile = "results.md", ParetoFile = "pareto.figure.json";

    public required string Task { get; init; }
    public required DistillationRow Teacher { get; init; }
    public required IReadOnlyList<DistillationRow> Students { get; init; }
    public double Temperature { get; init; }
    public double Alpha { get; init; }
    public int SequenceLength { get; init; }
    public int BenchmarkRepeats { get; init; }
    public int Threads { get; init; }
    public int Seed { get; init; }
    public double WallSeconds { get; init; }
    public string? OutputDir { get; init; }
    /// <summary>The models in memory (not serialised): teacher first, then the students in row order.</summary>
    [JsonIgnore] public DistillationTeacher? TeacherModel { get; init; }
    [JsonIgnore] public IReadOnlyList<DistilledStudent> StudentModels { get; init; } = [];

    public IEnumerable<DistillationRow> Rows => Students.Prepend(Teacher);

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public string ToJsonString() => JsonSerializer.Serialize(this, Json);

    public static DistillationResult FromJson(string json) => JsonSerializer.Deserialize<DistillationResult>(json, Json)
        ?? throw new InvalidDataException("empty distillation result");

    /// <summary>The table as Markdown: one row per model.</summary>
    public string ToMarkdown()
    {
        var lines = new List<string>
        {
            $"{Task} · T = {Temperature:G3}, α = {Alpha:G3} · speed at sequence {SequenceLength}, medians of {BenchmarkRepeats} interleaved rounds, {Threads} thread(s)",
            "",
            "| model | student | losses | layers | labelled + transfer | test acc | test macro-F1 | % of teacher acc | params (M) | checkpoint (MB) | b1 latency ms | b32 seq/s | b1 speed-up | b32 speed-up |",
            "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        };
        foreach (var r in Rows)
            lines.Add($"| {r.Name} | {r.Student} | {r.Losses} | {r.Layers} | {r.LabelledExamples} + {r.TransferExamples} | {r.TestAccuracy:F4} | {r.TestMacroF1:F4} | " +
                      $"{100 * r.ShareOfTeacherAccuracy:F1} | {r.Parameters / 1e6:F2} | {r.CheckpointBytes / 1e6:F1} | {r.Batch1LatencyMs:F1} | " +
                      $"{r.Batch32Throughput:F1} | {r.Batch1SpeedUp:F2}× | {r.Batch32SpeedUp:F2}× |");
        return string.Join('\n', lines) + "\n";
    }

    /// <summary>Test accuracy against batch-32 speed-up: the teacher, the distilled students and the hard-label
    /// controls as three series, each point named.</summary>
    public Plotly.NET.GenericChart ParetoChart()
    {
        (string, double[], double[], string[]) Series(string name, IEnumerable<DistillationRow> rows)
        {
            var list = rows.ToArray();
            return (name, list.Select(r => r.Batch32SpeedUp).ToArray(), list.Select(r => r.TestAccuracy).ToArray(), list.Select(r => r.Name).ToArray());
        }
        var series = new List<(string, double[], double[], string[])> { Series("teacher", [Teacher]) };
        var distilled = Students.Where(r => !r.Losses.StartsWith("hard", StringComparison.Ordinal)).ToArray();
        var controls = Students.Where(r => r.Losses.StartsWith("hard", StringComparison.Ordinal)).ToArray();
        if (distilled.Length > 0) series.Add(Series("distilled", distilled));
        if (controls.Length > 0) series.Add(Series("hard labels only", controls));
        return Charts.Points($"{Task}: test accuracy vs speed (batch 32, sequence {SequenceLength})", "throughput / teacher's (×)", "test accuracy", false, series.ToArray());
    }

    public void Save(string dir)
    {
        Directory.CreateDirectory(dir);
        AtomicFile.WriteAllText(Path.Combine(dir, ResultFile), ToJsonString() + "\n");
        AtomicFile.WriteAllText(Path.Combine(dir, TableFile), ToMarkdown());
        AtomicFile.WriteAllText(Path.Combine(dir, ParetoFile), Charts.ToFigureJson(ParetoChart()));
    }
}
