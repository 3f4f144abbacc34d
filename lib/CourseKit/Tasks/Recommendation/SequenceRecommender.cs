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

    public SequenceFitSummary Fit(int seed, Action<string>? log = null)
    {
        torch.manual_seed(seed);
        var random = new Random(seed);
        using var optimizer = optim.AdamW(Module.parameters(), Options.LearningRate, weight_decay: 0.0);
        var users = Enumerable.Range(0, Split.UserCount).Where(u => Split.Train[u].Length >= 2).ToArray();
        var (best, bestEpoch, checksWithoutGain, sequences, epoch) = (-1.0, 0, 0, 0L, 0);
        Dictionary<string, Tensor>? bestState = null;
        var clock = new Stopwatch();
        while (epoch < Options.Epochs && checksWithoutGain < Options.Patience)
        {
            epoch++;
            Module.train();
            random.Shuffle(users);
            clock.Start();
            for (int start = 0; start < users.Length; start += Options.BatchSize)
            {
                using var scope = NewDisposeScope();
                var windows = users.Skip(start).Take(Options.BatchSize).Select(u => RandomWindow(Split.Train[u], random)).ToList();
                var loss = TrainingLoss(windows, random);
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                sequences += windows.Count;
            }
            clock.Stop();
            if (epoch % Options.EvalEvery != 0 && epoch != Options.Epochs) continue;
            var ndcg = RecommenderEvaluation.ValidationNdcg10(this, Split);
            log?.Invoke($"{Name} epoch {epoch}: validation NDCG@10 {ndcg:F4}");
            if (ndcg > best)
            {
                (best, bestEpoch, checksWithoutGain) = (ndcg, epoch, 0);
                foreach (var t in bestState?.Values ?? Enumerable.Empty<Tensor>()) t.Dispose();
                bestState = Module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
            }
            else checksWithoutGain++;
        }
        if (bestState is not null)
        {
            Module.load_state_dict(bestState);
            foreach (var t in bestState.Values) t.Dispose();
        }
        Module.eval();
        return Summary = new SequenceFitSummary(epoch, bestEpoch, best, sequences, clock.Elapsed.TotalSeconds);
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
