using CourseKit.Models;
using CourseKit.Tasks.SequenceClassification;
using CourseKit.Text;
using CourseKit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tasks.PromptLearning;

/// <summary>
/// Classification as cloze: the sentence goes into the template, the masked LM scores the vocabulary at the [MASK],
/// and the label's logit is its verbalizer word's logit there. Zero-shot this is the pretraining question itself;
/// prompt-based fine-tuning (LM-BFF) trains the whole model with cross-entropy over these C logits, so the new task
/// reuses the pretrained MLM head instead of a randomly initialised classifier.
/// </summary>
public sealed class ClozeClassifier(BertForMaskedLM model, BertTextTokenizer tokenizer, ClozeTemplate template, Verbalizer verbalizer, int maxLength = 128)
    : IDisposable
{
    public BertForMaskedLM Model { get; } = model;
    public BertTextTokenizer Tokenizer { get; } = tokenizer;
    public ClozeTemplate Template { get; } = template;
    public Verbalizer Verbalizer { get; } = verbalizer;
    public int MaxLength { get; } = maxLength;

    /// <summary>Rows [B, X] of <paramref name="states"/> [B, T, X] at each row's [MASK] position [B]: the only position read.</summary>
    public static Tensor GatherAtMask(Tensor states, Tensor maskPositions)
    {
        using var scope = NewDisposeScope();
        var index = maskPositions.to_type(ScalarType.Int64).view(-1, 1, 1).expand(-1, 1, states.shape[2]);   // [B, 1, X]
        return states.gather(1, index).squeeze(1).MoveToOuterDisposeScope();
    }

    /// <summary>The verbalizer words' columns [B, C] of vocabulary logits [B, V], in label order.</summary>
    public static Tensor VerbalizerLogits(Tensor vocabularyLogits, IReadOnlyList<int> wordIds)
    {
        using var ids = tensor(wordIds.Select(i => (long)i).ToArray(), device: vocabularyLogits.device);
        return vocabularyLogits.index_select(1, ids);
    }

    /// <summary>[B, C] label logits of a batch of sentences (with gradients when training).</summary>
    public Tensor Forward(IReadOnlyList<string> sentences)
    {
        using var scope = NewDisposeScope();
        return VerbalizerLogits(VocabularyLogits(sentences), Verbalizer.TokenIds).MoveToOuterDisposeScope();
    }

    /// <summary>Per sentence, log-probabilities over the whole vocabulary at [MASK] (no gradients, eval mode): what a
    /// verbalizer search reads (<see cref="VerbalizerSearch"/>).</summary>
    public float[][] VocabularyLogProbs(IReadOnlyList<string> sentences, int batchSize = 16) =>
        Evaluate(sentences, batchSize, batch => VocabularyLogits(batch).log_softmax(1));

    /// <summary>A classifier on the same model (shared, not copied: dispose only one of the two) with other label words.</summary>
    public ClozeClassifier WithVerbalizer(Verbalizer verbalizer) => new(Model, Tokenizer, Template, verbalizer, MaxLength);

    /// <summary>[B, V] masked-LM logits at each sentence's [MASK].</summary>
    Tensor VocabularyLogits(IReadOnlyList<string> sentences)
    {
        var encoded = sentences.Select(s => Template.Encode(Tokenizer, s, MaxLength)).ToArray();
        int b = encoded.Length, t = encoded.Max(e => e.Ids.Length);
        var ids = new long[b * t];
        var mask = new long[b * t];
        Array.Fill(ids, Tokenizer.PadId);
        for (int i = 0; i < b; i++)
            for (int j = 0; j < encoded[i].Ids.Length; j++) { ids[i * t + j] = encoded[i].Ids[j]; mask[i * t + j] = 1; }
        using var scope = NewDisposeScope();
        var hidden = Model.bert.forward(tensor(ids, [b, t]), tensor(mask, [b, t]), zeros([b, t], ScalarType.Int64)).LastHiddenState;
        var atMask = GatherAtMask(hidden, tensor(encoded.Select(e => (long)e.MaskPosition).ToArray()));   // [B, H]
        return Model.cls.predictions.forward(atMask).MoveToOuterDisposeScope();                             // [B, V]: the head runs at [MASK] only
    }

    /// <summary>Label logits [N, C] without gradients, eval mode.</summary>
    public float[][] Scores(IReadOnlyList<string> sentences, int batchSize = 64) => Evaluate(sentences, batchSize, Forward);

    /// <summary>Rows of <paramref name="forward"/> over the sentences in batches, without gradients, in eval mode.</summary>
    float[][] Evaluate(IReadOnlyList<string> sentences, int batchSize, Func<IReadOnlyList<string>, Tensor> forward)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        bool wasTraining = Model.training;
        Model.eval();
        try
        {
            using var noGrad = no_grad();
            // Batches of similar length (characters stand in for tokens): a batch is padded to its longest sentence.
            return LengthBatches.Map(sentences, s => s.Length, batchSize, batch => ZeroShotClassifier.Rows(forward(batch)));
        }
        finally { Model.train(wasTraining); }
    }

    public int[] Predict(IReadOnlyList<string> sentences) => ZeroShotClassifier.Predict(Scores(sentences));

    /// <summary>Prompt-based fine-tuning: every weight trains through cross-entropy over the verbalizer logits
    /// (AdamW, constant learning rate, shuffled batches, seeded; <paramref name="groupByLength"/>: batches of similar
    /// length, <see cref="LengthGroupedOrder"/>). Returns each epoch's mean training loss.</summary>
    public IReadOnlyList<double> FineTune(IReadOnlyList<LabeledText> examples, int epochs, double learningRate, int batchSize, int seed,
        bool groupByLength = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (examples.Count == 0) throw new ArgumentException("cloze fine-tuning needs at least one labelled example", nameof(examples));
        torch.manual_seed(seed);
        var rng = new Random(seed);
        using var optimizer = optim.AdamW(Model.parameters().Where(p => p.requires_grad), learningRate, weight_decay: 0.01);
        var epochLosses = new List<double>();
        Model.train();
        try
        {
            for (int epoch = 0; epoch < epochs; epoch++)
            {
                var order = examples.ToArray();
                if (groupByLength)
                    order = LengthGroupedOrder.Of(order.Select(e => e.Text.Length).ToArray(), batchSize, seed, epoch).Select(i => examples[i]).ToArray();
                else FewShotSampling.Shuffle(order, rng);
                double sum = 0;
                for (int start = 0; start < order.Length; start += batchSize)
                {
                    using var scope = NewDisposeScope();
                    var batch = order.Skip(start).Take(batchSize).ToArray();
                    var logits = Forward(batch.Select(e => e.Text).ToArray());
                    var loss = nn.functional.cross_entropy(logits, tensor(batch.Select(e => (long)e.Label).ToArray()));
                    optimizer.zero_grad();
                    loss.backward();
                    optimizer.step();
                    sum += loss.item<float>() * batch.Length;
                }
                epochLosses.Add(sum / order.Length);
            }
        }
        finally { Model.eval(); }
        return epochLosses;
    }

    public void Dispose() => Model.Dispose();
}
