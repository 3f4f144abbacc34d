using System.Text.Json;
using System.Text.Json.Nodes;

namespace CourseKit.Training;

/// <summary>One line of the metrics log: training loss/lr/speed every few steps, or the metrics of an evaluation.</summary>
public sealed record LogEntry(string Kind, long Step, double Epoch, IReadOnlyDictionary<string, double> Values)
{
    public const string Train = "train", Eval = "eval";

    public string ToJson()
    {
        var o = new JsonObject { ["kind"] = Kind, ["step"] = Step, ["epoch"] = Math.Round(Epoch, 6) };
        foreach (var (k, v) in Values) o[k] = double.IsFinite(v) ? v : null;
        return o.ToJsonString();
    }

    public static LogEntry FromJson(string line, string file, int lineNumber)
    {
        try
        {
            var o = JsonNode.Parse(line)!.AsObject();
            var values = o.Where(p => p.Key is not ("kind" or "step" or "epoch"))
                .ToDictionary(p => p.Key, p => p.Value is null ? double.NaN : p.Value.GetValue<double>());
            return new LogEntry(o["kind"]!.GetValue<string>(), o["step"]!.GetValue<long>(), o["epoch"]!.GetValue<double>(), values);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException or FormatException)
        {
            throw new InvalidDataException($"{file}:{lineNumber}: not a metrics log entry: {e.Message}", e);
        }
    }
}

/// <summary>The run's history, mirrored to <c>metrics.jsonl</c> in the output folder when there is one.</summary>
public sealed class TrainingLog
{
    public const string FileName = "metrics.jsonl";
    readonly string? _path;
    readonly List<LogEntry> _entries = new();

    public TrainingLog(string? outputDir)
    {
        _path = outputDir is null ? null : Path.Combine(outputDir, FileName);
    }

    public IReadOnlyList<LogEntry> Entries => _entries;

    public void Add(LogEntry entry)
    {
        _entries.Add(entry);
        if (_path is not null) File.AppendAllText(_path, entry.ToJson() + "\n");
    }

    /// <summary>On resume: keep what was logged up to the checkpoint's step, drop what the interrupted run logged after it.</summary>
    public void RestoreUpTo(long step)
    {
        _entries.Clear();
        if (_path is null || !File.Exists(_path)) return;
        var lines = File.ReadAllLines(_path);
        for (int n = 1; n <= lines.Length; n++)
        {
            var line = lines[n - 1];
            if (string.IsNullOrWhiteSpace(line)) continue;
            LogEntry entry;
            try { entry = LogEntry.FromJson(line, _path, n); }
            catch (InvalidDataException) when (n == lines.Length) { break; } // a line cut by the kill
            if (entry.Step <= step) _entries.Add(entry);
        }
        var tmp = _path + ".tmp";
        File.WriteAllLines(tmp, _entries.Select(e => e.ToJson()));
        File.Move(tmp, _path, overwrite: true);
    }
}
