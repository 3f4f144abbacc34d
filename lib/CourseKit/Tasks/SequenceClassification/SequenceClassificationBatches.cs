using CourseKit.Metrics;
using CourseKit.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tasks.SequenceClassification;

/// <summary>A sentence as WordPiece ids ([CLS] … [SEP], truncated to the max length) and its class id.</summary>
public sealed record EncodedExample(int[] InputIds, int Label)
{
    /// <summary>Soft target per class (null: one-hot <see cref="Label"/>); see <see cref="LabeledText.Target"/>.</summary>
    public float[]? Target { get; init; }
}

/// <summary>Encoding, batching (dynamic padding to the longest in the batch) and prediction for sequence classification.</summary>
public static class SequenceClassificationBatches
{
    public static EncodedExample[] Encode(BertTextTokenizer tokenizer, IReadOnlyList<LabeledText> examples, int maxLength)
    {
        var options = new EncodeOptions { MaxLength = maxLength, Truncation = true };
        return examples.Select(e => new EncodedExample(tokenizer.Encode(e.Text, options).InputIds.ToArray(), e.Label) { Target = e.Target }).ToArray();
    }

    /// <summary>Cross-entropy against each example's soft <see cref="EncodedExample.Target"/> (one-hot of its label when
    /// it has none): −Σ_c q_c log p_c, averaged over the batch. With one-hot targets it equals the usual loss.</summary>
    public static Tensor SoftTargetLoss(Tensor logits, IReadOnlyList<EncodedExample> batch)
    {
        int classes = (int)logits.shape[^1];
        var q = new float[batch.Count * classes];
        for (int i = 0; i < batch.Count; i++)
        {
            var target = batch[i].Target;
            if (target is not null && target.Length != classes)
                throw new ArgumentException($"example {i} of the batch: a soft target of {target.Length} classes for a {classes}-class head");
            for (int c = 0; c < classes; c++) q[i * classes + c] = target?[c] ?? (c == batch[i].Label ? 1f : 0f);
        }
        using var targets = tensor(q, [batch.Count, classes]).to(logits.device);
        using var logProbabilities = nn.functional.log_softmax(logits.to_type(ScalarType.Float32), -1);
        using var perExample = (targets * logProbabilities).sum(-1);
        return perExample.mean().neg();
    }

    /// <summary>[B, T] ids, mask and token types (zeros) padded with <paramref name="padId"/>, and [B] int64 labels.</summary>
    public static (Tensor Ids, Tensor Mask, Tensor Types, Tensor Labels) Collate(IReadOnlyList<EncodedExample> batch, int padId, Device? device = null)
    {
        int b = batch.Count, t = batch.Max(e => e.InputIds.Length);
        var ids = new long[b * t];
        var mask = new long[b * t];
        for (int i = 0; i < b; i++)
        {
            var row = batch[i].InputIds;
            for (int j = 0; j < t; j++)
            {
                ids[i * t + j] = j < row.Length ? row[j] : padId;
                mask[i * t + j] = j < row.Length ? 1 : 0;
            }
        }
        var shape = new long[] { b, t };
        Tensor On(Tensor x) => device is null || device.type == DeviceType.CPU ? x : x.to(device);
        return (On(tensor(ids, shape)), On(tensor(mask, shape)), On(zeros(shape, ScalarType.Int64)),
            On(tensor(batch.Select(e => (long)e.Label).ToArray())));
    }

    /// <summary>Class probabilities [N, C] (softmax of the logits, in the order given) in eval mode without gradients,
    /// and the mean loss. Batches hold examples of similar length (a batch is padded to its longest: in arrival order
    /// SST-2's batches of 64 would be about half padding).</summary>
    public static (float[][] Probabilities, double Loss) Predict(nn.Module module, ClassifierForward forward, IReadOnlyList<EncodedExample> examples,
        int padId, int batchSize = 64, Device? device = null)
    {
        bool wasTraining = module.training;
        module.eval();
        try
        {
            using var noGrad = no_grad();
            double lossSum = 0;
            var probabilities = LengthBatches.Map(examples, e => e.InputIds.Length, batchSize, batch =>
            {
                var (inputIds, mask, types, labels) = Collate(batch, padId, device);
                var output = forward(inputIds, mask, types, labels);
                lossSum += output.Loss!.item<float>() * batch.Count;
                var p = nn.functional.softmax(output.Logits.to_type(ScalarType.Float32), -1).cpu();
                return LengthBatches.Rows(p.data<float>().ToArray(), batch.Count, (int)p.shape[1]);
            });
            return (probabilities, examples.Count == 0 ? 0 : lossSum / examples.Count);
        }
        finally { if (wasTraining) module.train(); }
    }

    public static int ArgMax(float[] p)
    {
        int best = 0;
        for (int i = 1; i < p.Length; i++) if (p[i] > p[best]) best = i;
        return best;
    }

    /// <summary>The classification report of a model on examples, and their mean loss.</summary>
    public static (ClassificationReport Report, double Loss) Evaluate(nn.Module module, ClassifierForward forward, IReadOnlyList<EncodedExample> examples,
        IReadOnlyList<string> labels, int padId, int batchSize = 64, Device? device = null)
    {
        var (probabilities, loss) = Predict(module, forward, examples, padId, batchSize, device);
        var report = ClassificationReport.Compute(examples.Select(e => e.Label).ToArray(), probabilities.Select(ArgMax).ToArray(), labels);
        return (report, loss);
    }
}
