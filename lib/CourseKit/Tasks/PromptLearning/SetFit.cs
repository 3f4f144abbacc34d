using CourseKit.Models;
using CourseKit.Tasks.SequenceClassification;
using CourseKit.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tasks.PromptLearning;

/// <summary>A sentence encoder fine-tuned on contrastive pairs and the logistic-regression head on its embeddings.</summary>
public sealed class SetFitClassifier(SentenceEncoder encoder, LogisticRegressionHead head) : IDisposable
{
    public SentenceEncoder Encoder { get; } = encoder;
    public LogisticRegressionHead Head { get; } = head;

    public int[] Predict(IReadOnlyList<string> texts)
    {
        using var embeddings = Encoder.Encode(texts);
        return ZeroShotClassifier.Rows(embeddings).Select(Head.Predict).ToArray();
    }

    public void Dispose() => Encoder.Dispose();
}

/// <summary>
/// SetFit (Tunstall et al. 2022): (1) fine-tune the sentence encoder on <see cref="ContrastivePairs"/> with
/// sentence-transformers' CosineSimilarityLoss, MSE(cos(u, v), target), 1 epoch, AdamW at a constant 2e-5, batch 16
/// pairs, dropout on; (2) embed the K·C examples with the tuned encoder and fit a <see cref="LogisticRegressionHead"/>.
/// </summary>
public static class SetFit
{
    public static SetFitClassifier Train(string encoderDir, IReadOnlyList<LabeledText> examples, int classCount, PromptLearningOptions o, int seed)
    {
        torch.manual_seed(seed);
        var encoder = SentenceEncoder.Load(encoderDir, maxLength: o.MaxLength);
        var pairs = ContrastivePairs.Build(examples, o.SetFitIterations, seed);
        if (o.GroupByLength) pairs = ContrastivePairs.GroupedByLength(pairs, o.BatchSize, seed);
        TrainContrastive(encoder, pairs, o.SetFitLearningRate, o.BatchSize);
        using var embeddings = encoder.Encode(examples.Select(e => e.Text).ToArray());
        var head = LogisticRegressionHead.Fit(ZeroShotClassifier.Rows(embeddings), examples.Select(e => e.Label).ToArray(), classCount, seed: seed);
        return new SetFitClassifier(encoder, head);
    }

    /// <summary>One epoch over the pairs; returns the mean loss of each step (for a curve).</summary>
    public static IReadOnlyList<double> TrainContrastive(SentenceEncoder encoder, IReadOnlyList<ContrastivePair> pairs, double learningRate, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var model = encoder.Model;
        using var optimizer = optim.AdamW(model.parameters(), learningRate, weight_decay: 0.01);
        var losses = new List<double>();
        model.train();
        try
        {
            for (int start = 0; start < pairs.Count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                var batch = pairs.Skip(start).Take(batchSize).ToArray();
                var u = encoder.Embed(batch.Select(p => p.First.Text).ToArray());
                var v = encoder.Embed(batch.Select(p => p.Second.Text).ToArray());
                var cosine = (u * v).sum(1);                                                   // both unit length
                var loss = nn.functional.mse_loss(cosine, tensor(batch.Select(p => p.Target).ToArray()));
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                losses.Add(loss.item<float>());
            }
        }
        finally { model.eval(); }
        return losses;
    }
}
