using CourseKit.Models;
using CourseKit.Native;
using CourseKit.Tasks.SequenceClassification;
using TorchSharp;

namespace CourseKit.Tests.Tasks.SequenceClassification;

[KeepTensorsAlive]
public class PredictionOrderTests
{
    /// <summary>Prediction batches sentences by length; each row must still be the probabilities of the sentence at
    /// its position, as if it had been scored alone.</summary>
    [Fact]
    public void Probabilities_come_back_in_the_given_order_whatever_the_batching()
    {
        TorchRuntime.Initialize();
        torch.manual_seed(3);
        var config = new BertConfig { VocabSize = 200, HiddenSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 64, MaxPositionEmbeddings = 64, NumLabels = 3 };
        using var model = new BertForSequenceClassification(config);
        model.eval();
        var random = new Random(5);
        var examples = Enumerable.Range(0, 23)
            .Select(i => new EncodedExample([2, .. Enumerable.Range(0, 1 + (i * 7919) % 40).Select(_ => random.Next(5, 200)), 3], i % 3))
            .ToArray();
        ClassifierForward forward = (ids, mask, types, labels) => model.forward(ids, mask, types, labels);

        var (batched, batchedLoss) = SequenceClassificationBatches.Predict(model, forward, examples, padId: 0, batchSize: 4);
        var alone = examples.Select(e => SequenceClassificationBatches.Predict(model, forward, [e], padId: 0, batchSize: 1)).ToArray();

        Assert.Equal(examples.Length, batched.Length);
        for (int i = 0; i < examples.Length; i++)
            for (int c = 0; c < 3; c++)
                Assert.Equal(alone[i].Probabilities[0][c], batched[i][c], 4);
        Assert.Equal(alone.Average(a => a.Loss), batchedLoss, 4);
        Assert.NotEqual(batched[0], batched[1]);                            // rows differ, so a reordering would show
    }
}
