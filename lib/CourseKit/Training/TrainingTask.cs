using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Training;

/// <summary>What the <see cref="Trainer"/> trains: a model, its training examples and how to turn a batch into a loss.</summary>
public sealed class TrainingTask<TExample>
{
    public required nn.Module Model { get; init; }
    public required IReadOnlyList<TExample> TrainSet { get; init; }
    public required int BatchSize { get; init; }
    /// <summary>Collates a batch, runs the model and returns the scalar loss (train mode, inside a dispose scope).</summary>
    public required Func<IReadOnlyList<TExample>, Tensor> Loss { get; init; }
    /// <summary>Tokens in a batch, for tokens/s (null = examples are counted).</summary>
    public Func<IReadOnlyList<TExample>, long>? CountTokens { get; init; }
    /// <summary>Validation metrics (called in eval mode, without gradients).</summary>
    public Func<IReadOnlyDictionary<string, double>>? Evaluate { get; init; }
    /// <summary>How model weights are written into and read from a checkpoint folder.</summary>
    public IModelStore Store { get; init; } = new StateDictStore();
    /// <summary>Shuffle the training set every epoch (in an order fixed by the seed and the epoch).</summary>
    public bool Shuffle { get; init; } = true;
    /// <summary>An example's length in tokens: when set (and <see cref="Shuffle"/> is on), batches are grouped by length
    /// (<see cref="LengthGroupedOrder"/>), so little of a batch is padding.</summary>
    public Func<TExample, int>? LengthOf { get; init; }
    /// <summary>Weights that stay zero through training (retraining a pruned model); the caller owns and disposes it.</summary>
    public ZeroMask? HoldZeros { get; init; }
}

/// <summary>A model that must do something after every optimizer step of the <see cref="Trainer"/> (AdaLoRA's rank
/// allocation): the Trainer calls it with the number of steps done so far, while the gradients are still there.</summary>
public interface IAfterOptimizerStep
{
    /// <param name="step">optimizer steps done so far (1 after the first); gradients are still set.</param>
    void AfterOptimizerStep(long step);

    /// <summary>False when this model's step hook does nothing (a PEFT model whose method has none), so bf16 training,
    /// which moves gradients to fp32 masters before the hook would run, may go ahead.</summary>
    bool NeedsAfterOptimizerStep => true;
}

/// <summary>Writes and reads a model's weights in a checkpoint folder (the Hugging Face layout for BERT/GPT).</summary>
public interface IModelStore
{
    void Save(nn.Module model, string dir);
    void Load(nn.Module model, string dir);
}

/// <summary>A model with state outside its parameters that a resumed run needs to continue exactly (AdaLoRA's
/// importance averages, final mask and rank log): the Trainer's checkpoints save and restore it.</summary>
public interface ITrainingState
{
    /// <summary>Named tensors to save (they are read, not kept, by the caller); empty when there is nothing.</summary>
    Dictionary<string, Tensor> TrainingState();

    /// <summary>Replaces the state with <paramref name="state"/> (tensors are copied; the caller disposes its own).</summary>
    void LoadTrainingState(IReadOnlyDictionary<string, Tensor> state);
}
