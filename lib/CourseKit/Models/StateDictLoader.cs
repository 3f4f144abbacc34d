using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Models;

/// <summary>How a model family reads checkpoint names.</summary>
/// <param name="BaseModelPrefix">"bert" / "transformer": added to or stripped from checkpoint keys when a base-model
/// checkpoint is loaded into a model with a head, or the other way round (HF does the same).</param>
public sealed record LoadRules(string BaseModelPrefix)
{
    /// <summary>Tied alias → stored name.</summary>
    public IReadOnlyDictionary<string, string> TiedWeights { get; init; } = new Dictionary<string, string>();
    /// <summary>Checkpoint keys ending with one of these are dropped silently (listed in Ignored).</summary>
    public IReadOnlyList<string> IgnorableSuffixes { get; init; } = [];
    public bool IgnoreMismatchedSizes { get; init; }
}

/// <summary>The load loop both model families share: map names, check every shape, then copy under no_grad.</summary>
public static class StateDictLoader
{
    public static LoadReport Load(nn.Module model, IReadOnlyDictionary<string, Tensor> weights, LoadRules rules)
    {
        var target = model.state_dict();
        var prefix = rules.BaseModelPrefix + ".";
        bool modelHasPrefix = target.Keys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal));
        bool checkpointHasPrefix = weights.Keys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal));

        string Known(string key) => target.ContainsKey(key) || rules.TiedWeights.ContainsKey(key) ? key : "";
        string MapKey(string key)
        {
            key = RenameLegacy(key);
            if (modelHasPrefix && !checkpointHasPrefix && Known(key) == "") return prefix + key;
            if (!modelHasPrefix && checkpointHasPrefix && key.StartsWith(prefix, StringComparison.Ordinal)) return key[prefix.Length..];
            return key;
        }

        var mapped = new Dictionary<string, (string original, Tensor value)>();
        foreach (var (key, value) in weights)
        {
            var name = MapKey(key);
            if (!mapped.TryAdd(name, (key, value)))
                throw new InvalidDataException($"Checkpoint tensors '{mapped[name].original}' and '{key}' both map to '{name}'");
        }

        var toCopy = new List<(string key, Tensor value)>();
        var unexpected = new List<string>();
        var ignored = new List<string>();
        var mismatched = new List<(string, long[], long[])>();
        foreach (var (name, (original, value)) in mapped)
        {
            var key = name;
            if (rules.TiedWeights.TryGetValue(name, out var stored))
            {
                // A tied copy: only used when the stored name itself is absent.
                if (mapped.ContainsKey(stored)) { ignored.Add(original); continue; }
                key = stored;
            }
            if (!target.TryGetValue(key, out var dest))
            {
                if (rules.IgnorableSuffixes.Any(s => name.EndsWith(s, StringComparison.Ordinal))) ignored.Add(original);
                else unexpected.Add(original);
                continue;
            }
            if (!dest.shape.SequenceEqual(value.shape))
            {
                if (!rules.IgnoreMismatchedSizes) throw new StateDictShapeException(original, value.shape, dest.shape);
                mismatched.Add((key, value.shape, dest.shape));
                continue;
            }
            toCopy.Add((key, value));
        }

        using (no_grad())
            foreach (var (key, value) in toCopy)
                target[key].copy_(value);

        var loaded = toCopy.Select(c => c.key).ToHashSet();
        var mismatchedKeys = mismatched.Select(m => m.Item1).ToHashSet();
        var missing = target.Keys.Where(k => !loaded.Contains(k) && !mismatchedKeys.Contains(k)).ToList();
        return new LoadReport(toCopy.Select(c => c.key).ToList(), missing, unexpected, ignored, mismatched);
    }

    /// <summary>Old TF-converted checkpoints name LayerNorm's parameters gamma and beta.</summary>
    static string RenameLegacy(string key) =>
        key.EndsWith("LayerNorm.gamma", StringComparison.Ordinal) ? key[..^"gamma".Length] + "weight"
        : key.EndsWith("LayerNorm.beta", StringComparison.Ordinal) ? key[..^"beta".Length] + "bias"
        : key;
}
