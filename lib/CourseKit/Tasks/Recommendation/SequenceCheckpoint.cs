using System.Text.Json;
using CourseKit.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CourseKit.Tasks.Recommendation;

/// <summary>Where a sequence model's fit stands after an epoch: with the weights, the optimizer and the best weights so
/// far, enough to continue exactly (each epoch draws from its own seeds, see <see cref="SequenceRecommender.Fit"/>).
/// <see cref="Recipe"/> names everything but the epoch budget, so a finished run can also be extended.</summary>
public sealed record SequenceFitState(string Recipe, int Epoch, int BestEpoch, double Best, int ChecksWithoutGain, long Sequences, double TrainSeconds);

/// <summary>
/// One checkpoint folder per model (<c>checkpoint/</c>: fit_state.json, model.weights, optimizer.bin, best.safetensors),
/// replaced whole at each validation check: written into a temporary folder, then swapped in, so a kill leaves the
/// previous checkpoint or the new one, never a mix. A folder made by another recipe is refused, naming both.
/// </summary>
public static class SequenceCheckpoint
{
    const string StateFile = "fit_state.json", ModelFile = "model.weights", OptimizerFile = "optimizer.bin", BestFile = "best.safetensors";

    public static void Save(string dir, SequenceFitState state, nn.Module module, optim.Optimizer optimizer, IReadOnlyDictionary<string, Tensor>? best)
    {
        var full = Path.GetFullPath(dir);
        var tmp = $"{full}.tmp-{Guid.NewGuid():N}";
        Directory.CreateDirectory(tmp);
        module.save(Path.Combine(tmp, ModelFile));
        using (var w = new BinaryWriter(File.Create(Path.Combine(tmp, OptimizerFile))))
            ((OptimizerHelper)optimizer).save_state_dict(w);
        if (best is not null) SafeTensorsFile.Save(Path.Combine(tmp, BestFile), best);
        File.WriteAllText(Path.Combine(tmp, StateFile), JsonSerializer.Serialize(state));   // last: marks it complete
        var old = $"{full}.old-{Guid.NewGuid():N}";
        if (Directory.Exists(full)) Directory.Move(full, old);
        Directory.Move(tmp, full);
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
    }

    /// <summary>The saved state with the weights and optimizer loaded into <paramref name="module"/> and
    /// <paramref name="optimizer"/>, or null when <paramref name="dir"/> holds no complete checkpoint.</summary>
    public static (SequenceFitState State, Dictionary<string, Tensor>? Best)? TryLoad(string dir, string recipe, nn.Module module, optim.Optimizer optimizer)
    {
        var statePath = Path.Combine(dir, StateFile);
        if (!File.Exists(statePath)) return null;
        SequenceFitState state;
        try { state = JsonSerializer.Deserialize<SequenceFitState>(File.ReadAllText(statePath)) ?? throw new JsonException("empty"); }
        catch (JsonException e) { throw new InvalidDataException($"{statePath}: not a sequence-model checkpoint ({e.Message}); delete the folder to start over", e); }
        if (state.Recipe != recipe)
            throw new InvalidDataException($"{statePath}: made by another recipe ({state.Recipe}), not this run's ({recipe}); delete the folder or use another --out");
        module.load(Path.Combine(dir, ModelFile));
        using (var r = new BinaryReader(File.OpenRead(Path.Combine(dir, OptimizerFile))))
            ((OptimizerHelper)optimizer).load_state_dict(r);
        var bestPath = Path.Combine(dir, BestFile);
        return (state, File.Exists(bestPath) ? SafeTensorsFile.Load(bestPath) : null);
    }
}
