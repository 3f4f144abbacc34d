using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tasks.Recommendation;

/// <summary>
/// What SASRec and BERT4Rec share: training on windows of each user's training sequence (a random window per user
/// and epoch, so long histories are not cut to their last items only), early stopping on validation NDCG@10 with the
/// best weights restored, and scoring the next item from the last <see cref="SequenceModelOptions.MaxLength"/> items.
/// </summary>
public abstract class SequenceRecommender : IRecommender, IDisposable
{
    protected SequenceRecommender(LeaveOneOutSplit split, SequenceModelOptions options) => (Split, Options) = (split, options);

    protected LeaveOneOutSplit Split { get; }
    public SequenceModelOptions Options { get; }
    public SequenceFitSummary? Summary { get; private set; }
    public abstract nn.Module Module { get; }
    public abstract string Name { get; }
    public virtual string Settings => $"{Options.Layers}×{Options.Hidden}, {Options.Heads} heads, length {Options.MaxLength}, " +
        $"best epoch {Summary?.BestEpoch} of {Summary?.EpochsRun}";

    /// <summary>Window length the training loss takes (SASRec: inputs + 1 shifted target).</summary>
    protected abstract int TrainingWindow { get; }
    /// <summary>The loss of one batch of windows (item indices, oldest first, each ≥ 2 items).</summary>
    protected abstract Tensor TrainingLoss(IReadOnlyList<int[]> windows, Random random);
    /// <summary>[B, N+1] next-item scores for each history (already cut to the model's length).</summary>
    protected abstract Tensor NextItemLogits(IReadOnlyList<int[]> histories);
    protected virtual int HistoryLength => Options.MaxLength;

    /// <summary>Trains with early stopping on validation NDCG@10 and restores the best weights. With
    /// <paramref name="checkpointDir"/> the fit is saved after every validation check and a rerun continues from the
    /// last one. Each epoch draws its window order, windows, masks and dropout from seeds of its own (seed, epoch), so a
    /// resumed fit gives the same weights as one never stopped.</summary>
    public SequenceFitSummary Fit(int seed, Action<string>? log = null, string? checkpointDir = null)
    {
        using var optimizer = optim.AdamW(Module.parameters(), Options.LearningRate, weight_decay: 0.0);
        var users = Enumerable.Range(0, Split.UserCount).Where(u => Split.Train[u].Length >= 2).ToArray();
        var recipe = Recipe(seed);
        var state = new SequenceFitState(recipe, 0, 0, -1.0, 0, 0, 0);
        Dictionary<string, Tensor>? bestState = null;
        if (checkpointDir is not null && SequenceCheckpoint.TryLoad(checkpointDir, recipe, Module, optimizer) is { } resumed)
        {
            (state, bestState) = resumed;
            log?.Invoke($"{Name}: resuming after epoch {state.Epoch} (best {state.Best:F4} at epoch {state.BestEpoch}) from {checkpointDir}");
        }
        var clock = new Stopwatch();
        while (state.Epoch < Options.Epochs && state.ChecksWithoutGain < Options.Patience)
        {
            int epoch = state.Epoch + 1;
            clock.Start();
            long sequences = TrainEpoch(users, optimizer, seed, epoch);
            clock.Stop();
            state = state with { Epoch = epoch, Sequences = state.Sequences + sequences };
            if (epoch % Options.EvalEvery != 0 && epoch != Options.Epochs) continue;
            var ndcg = RecommenderEvaluation.ValidationNdcg10(this, Split);
            log?.Invoke($"{Name} epoch {epoch}: validation NDCG@10 {ndcg:F4}");
            if (ndcg > state.Best)
            {
                state = state with { Best = ndcg, BestEpoch = epoch, ChecksWithoutGain = 0 };
                foreach (var t in bestState?.Values ?? Enumerable.Empty<Tensor>()) t.Dispose();
                bestState = Module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
            }
            else state = state with { ChecksWithoutGain = state.ChecksWithoutGain + 1 };
            if (checkpointDir is not null)
                SequenceCheckpoint.Save(checkpointDir, state with { TrainSeconds = state.TrainSeconds + clock.Elapsed.TotalSeconds }, Module, optimizer, bestState);
        }
        if (bestState is not null)
        {
            Module.load_state_dict(bestState);
            foreach (var t in bestState.Values) t.Dispose();
        }
        Module.eval();
        return Summary = new SequenceFitSummary(state.Epoch, state.BestEpoch, state.Best, state.Sequences, state.TrainSeconds + clock.Elapsed.TotalSeconds);
    }

    /// <summary>Everything that shapes the fit except the epoch budget (raising it extends a finished run).</summary>
    string Recipe(int seed) => $"{Name}; {Options with { Epochs = 0 }}; seed {seed}; {Split.UserCount} users";

    long TrainEpoch(int[] users, optim.Optimizer optimizer, int seed, int epoch)
    {
        int epochSeed = unchecked(seed * 1_000_003 + epoch);
        torch.manual_seed(epochSeed);
        var random = new Random(epochSeed);
        var order = (int[])users.Clone();
        random.Shuffle(order);
        Module.train();
        long sequences = 0;
        for (int start = 0; start < order.Length; start += Options.BatchSize)
        {
            using var scope = NewDisposeScope();
            var windows = order.Skip(start).Take(Options.BatchSize).Select(u => RandomWindow(Split.Train[u], random)).ToList();
            var loss = TrainingLoss(windows, random);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            sequences += windows.Count;
        }
        return sequences;
    }

    int[] RandomWindow(int[] items, Random random)
    {
        if (items.Length <= TrainingWindow) return items;
        int end = random.Next(TrainingWindow, items.Length + 1);
        return items[(end - TrainingWindow)..end];
    }

    public float[][] Score(IReadOnlyList<RecommendationQuery> queries)
    {
        Module.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var histories = queries.Select(q => q.History.Length > HistoryLength ? q.History[^HistoryLength..] : q.History).ToList();
        return ItemKnnRecommender.Rows(NextItemLogits(histories));
    }

    /// <summary>[B, T] int64, right-padded with <paramref name="pad"/>: item t of a row sits at position t.</summary>
    protected static Tensor RightPadded(IReadOnlyList<int[]> rows, int pad = 0)
    {
        int width = Math.Max(1, rows.Max(r => r.Length));
        var ids = new long[rows.Count * width];
        Array.Fill(ids, pad);
        for (int b = 0; b < rows.Count; b++)
            for (int t = 0; t < rows[b].Length; t++) ids[b * width + t] = rows[b][t];
        return tensor(ids, [rows.Count, width]);
    }

    /// <summary>The hidden vector at each row's last real position: [B, T, C] → [B, C].</summary>
    protected static Tensor AtLastPosition(Tensor hidden, IReadOnlyList<int> lengths)
    {
        var index = tensor(lengths.Select(l => (long)Math.Max(0, l - 1)).ToArray()).view(-1, 1, 1).expand(-1, 1, hidden.shape[2]);
        return hidden.gather(1, index).squeeze(1);
    }

    public virtual void Dispose() => Module.Dispose();
}
