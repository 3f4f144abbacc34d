using CourseKit.Checkpoints;
using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CourseKit.Training;

/// <summary>Where a run is: enough, with the weights, optimizer and RNG state, to continue exactly where it stopped.</summary>
public sealed record TrainerState
{
    public long GlobalStep { get; init; }
    public int Epoch { get; init; }
    public int BatchInEpoch { get; init; }
    public long TokensSeen { get; init; }
    public double? BestMetric { get; init; }
    public string? BestCheckpoint { get; init; }
    public int EvalsWithoutImprovement { get; init; }
    public int Seed { get; init; }
}

/// <summary>Checkpoint folders <c>checkpoints/step-NNNNNNN/</c>: written whole into a temporary folder, then renamed,
/// so a kill never leaves a half-written checkpoint that looks complete.</summary>
public static class TrainerCheckpoint
{
    const string StateFile = "trainer_state.json", OptimizerFile = "optimizer.bin", RngFile = "rng_state.bin",
        ModelStateFile = "model_training_state.safetensors";
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static string Root(string outputDir) => Path.Combine(outputDir, "checkpoints");

    public static string Save(string outputDir, TrainerState state, nn.Module model, IModelStore store, optim.Optimizer optimizer)
    {
        var root = Root(outputDir);
        Directory.CreateDirectory(root);
        var final = Path.Combine(root, $"step-{state.GlobalStep:D7}");
        var tmp = Path.Combine(root, $".tmp-step-{state.GlobalStep:D7}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(tmp);
        store.Save(model, tmp);
        using (var w = new BinaryWriter(File.Create(Path.Combine(tmp, OptimizerFile))))
            ((OptimizerHelper)optimizer).save_state_dict(w);
        using (var rng = torch.get_rng_state())
            File.WriteAllBytes(Path.Combine(tmp, RngFile), rng.data<byte>().ToArray());
        if (model is ITrainingState withState && withState.TrainingState() is { Count: > 0 } extra)
            SafeTensorsFile.Save(Path.Combine(tmp, ModelStateFile), extra);
        File.WriteAllText(Path.Combine(tmp, StateFile), JsonSerializer.Serialize(state, Json)); // written last: marks it complete
        if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
        Directory.Move(tmp, final);
        return final;
    }

    /// <summary>The newest complete checkpoint, or null.</summary>
    public static string? FindLatest(string outputDir)
    {
        var root = Root(outputDir);
        if (!Directory.Exists(root)) return null;
        return Directory.GetDirectories(root, "step-*")
            .Where(d => File.Exists(Path.Combine(d, StateFile)))
            .OrderBy(d => d, StringComparer.Ordinal)
            .LastOrDefault();
    }

    public static TrainerState Load(string checkpoint, nn.Module model, IModelStore store, optim.Optimizer optimizer)
    {
        var statePath = Path.Combine(checkpoint, StateFile);
        TrainerState state;
        try { state = JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(statePath)) ?? throw new JsonException("empty"); }
        catch (JsonException e) { throw new InvalidDataException($"{statePath}: not a trainer state: {e.Message}", e); }
        store.Load(model, checkpoint);
        using (var r = new BinaryReader(File.OpenRead(Path.Combine(checkpoint, OptimizerFile))))
            ((OptimizerHelper)optimizer).load_state_dict(r);
        var rngBytes = File.ReadAllBytes(Path.Combine(checkpoint, RngFile));
        using (var rng = torch.tensor(rngBytes, dtype: ScalarType.Byte))
            torch.set_rng_state(rng);
        if (model is ITrainingState withState)
        {
            var path = Path.Combine(checkpoint, ModelStateFile);
            var extra = File.Exists(path) ? SafeTensorsFile.Load(path) : new Dictionary<string, Tensor>();
            try { withState.LoadTrainingState(extra); }
            finally { foreach (var t in extra.Values) t.Dispose(); }
        }
        return state;
    }

    /// <summary>Deletes all but the newest <paramref name="keepLast"/> checkpoints, never the one named in <paramref name="keep"/>.</summary>
    public static void Prune(string outputDir, int keepLast, string? keep)
    {
        var root = Root(outputDir);
        var all = Directory.GetDirectories(root, "step-*").OrderBy(d => d, StringComparer.Ordinal).ToList();
        foreach (var dir in all.Take(Math.Max(0, all.Count - Math.Max(1, keepLast))))
            if (keep is null || Path.GetFullPath(dir) != Path.GetFullPath(keep))
                Directory.Delete(dir, recursive: true);
    }
}

/// <summary>Default weight store: the model's state dict as TorchSharp's own format (any module).</summary>
public sealed class StateDictStore : IModelStore
{
    public const string FileName = "model.weights";
    public void Save(nn.Module model, string dir) => model.save(Path.Combine(dir, FileName));
    public void Load(nn.Module model, string dir) => model.load(Path.Combine(dir, FileName));
}
