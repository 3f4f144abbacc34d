using System.Text.Json;
using System.Text.Json.Nodes;

namespace CourseKit.Data;

/// <summary>A recorded split of a data set (what each part holds and how it was made), so that runs reuse and report
/// exactly the same examples. <see cref="Parts"/> usually has train, validation and test.</summary>
public sealed record DataSplit(string Dataset, int Seed, string Method, IReadOnlyList<string> Labels, IReadOnlyList<SplitPart> Parts)
{
    public SplitPart this[string name] => Parts.FirstOrDefault(p => p.Name == name)
        ?? throw new KeyNotFoundException($"the split of {Dataset} has no part '{name}' (it has {string.Join(", ", Parts.Select(p => p.Name))}).");

    /// <summary>Writes the split as indented JSON: dataset, seed, method, labels, and per part its source, counts per
    /// class and row ids.</summary>
    public void Save(string path)
    {
        var parts = new JsonObject();
        foreach (var p in Parts)
        {
            var counts = new JsonObject();
            foreach (var (k, v) in p.ClassCounts) counts[k] = v;
            parts[p.Name] = new JsonObject
            {
                ["source"] = p.Source, ["count"] = p.Ids.Length, ["class_counts"] = counts,
                ["ids"] = new JsonArray(p.Ids.Select(i => (JsonNode)i).ToArray()),
            };
        }
        var root = new JsonObject
        {
            ["dataset"] = Dataset, ["seed"] = Seed, ["method"] = Method,
            ["labels"] = new JsonArray(Labels.Select(l => (JsonNode)l).ToArray()), ["parts"] = parts,
        };
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        Checkpoints.AtomicFile.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    public static DataSplit Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such split file", path);
        try
        {
            var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            var labels = root["labels"]!.AsArray().Select(n => n!.GetValue<string>()).ToArray();
            var parts = root["parts"]!.AsObject().Select(p =>
            {
                var o = p.Value!.AsObject();
                var ids = o["ids"]!.AsArray().Select(n => n!.GetValue<int>()).ToArray();
                var counts = o["class_counts"]!.AsObject().ToDictionary(c => c.Key, c => c.Value!.GetValue<int>());
                if (o["count"] is { } count && count.GetValue<int>() != ids.Length)
                    throw new InvalidDataException($"{path}: part '{p.Key}' says count {count} but lists {ids.Length} ids");
                return new SplitPart(p.Key, o["source"]!.GetValue<string>(), ids, counts);
            }).ToArray();
            return new DataSplit(root["dataset"]!.GetValue<string>(), root["seed"]!.GetValue<int>(),
                root["method"]?.GetValue<string>() ?? "", labels, parts);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException or FormatException)
        {
            throw new InvalidDataException($"{path}: not a split file: {e.Message}", e);
        }
    }

    /// <summary>Checks that the split fits the data it is applied to: every id inside its source, no id in two parts
    /// of the same source, and the recorded class counts equal to those of the current labels (so a changed data file
    /// is caught instead of silently training on other examples).</summary>
    public void Validate(IReadOnlyDictionary<string, IReadOnlyList<int>> labelsBySource, string path)
    {
        foreach (var group in Parts.GroupBy(p => p.Source))
        {
            if (!labelsBySource.TryGetValue(group.Key, out var labels))
                throw new InvalidDataException($"{path}: source '{group.Key}' is not part of this task's data ({string.Join(", ", labelsBySource.Keys)})");
            var seen = new HashSet<int>();
            foreach (var part in group)
            {
                foreach (var id in part.Ids)
                {
                    if (id < 0 || id >= labels.Count)
                        throw new InvalidDataException($"{path}: part '{part.Name}' has id {id}, outside {group.Key} (rows 0..{labels.Count - 1})");
                    if (!seen.Add(id)) throw new InvalidDataException($"{path}: id {id} of {group.Key} is in more than one part");
                }
                var actual = StratifiedSplit.CountClasses(part.Ids, labels, Labels);
                foreach (var (label, n) in part.ClassCounts)
                    if (!actual.TryGetValue(label, out var m) || m != n)
                        throw new InvalidDataException($"{path}: part '{part.Name}' records {n} '{label}' examples but the data gives {m}: the data changed since the split was made");
            }
        }
    }
}
