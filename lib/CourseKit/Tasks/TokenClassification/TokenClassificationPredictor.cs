using CourseKit.Checkpoints;
using CourseKit.Models;
using CourseKit.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tasks.TokenClassification;

/// <summary>Word-level predictions of a token classifier: windows in length-sorted batches, label log-probabilities
/// per token, one score row per original word (read at its first piece, in the window where it has the most context),
/// then one label per word by <see cref="TagDecoding"/>.</summary>
public static class TokenClassificationPredictor
{
    /// <summary>Each word's label log-probabilities, per sentence ([sentence][word][label]), and the mean loss per
    /// labelled token (NaN when the windows carry no labels). Runs in eval mode without gradients; the model's mode is
    /// restored. A word no window scores gets a uniform row.</summary>
    public static (float[][][] WordLogProbs, double MeanLoss) PredictLogProbs(BertPreTrainedModel<ClassifierOutput> model,
        BertTextTokenizer tokenizer, IReadOnlyList<WordWindow> windows, TokenClassificationOptions? options = null)
    {
        options ??= new TokenClassificationOptions();
        double lossSum = 0;
        long labelled = 0;
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = torch.no_grad();
            var result = WordLogProbs(windows, model.Config.NumLabels, options.EvalBatchSize, batchWindows =>
            {
                using var scope = torch.NewDisposeScope();
                using var batch = TokenClassificationBatch.Collate(batchWindows, tokenizer, options.Device);
                // In fp32 whatever the model's dtype (a bf16 model's loss and log-probabilities are read as floats).
                var logits = model.forward(batch.Inputs.InputIds, batch.Inputs.AttentionMask, batch.Inputs.TokenTypeIds, null).Logits.to(ScalarType.Float32);
                if (batch.Labels is { } labels)
                {
                    var flat = labels.view(-1);
                    lossSum += nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]), flat, ignore_index: -100, reduction: nn.Reduction.Sum).item<float>();
                    labelled += flat.ne(-100).sum().item<long>();
                }
                return (logits.log_softmax(-1).cpu().data<float>().ToArray(), (int)logits.shape[1]);
            });
            return (result, labelled == 0 ? double.NaN : lossSum / labelled);
        }
        finally { model.train(wasTraining); }
    }

    /// <summary>
    /// Each word's label log-probabilities, per sentence ([sentence][word][label]), from any scorer of window batches:
    /// the windows in batches of <paramref name="batchSize"/> sorted by length (little padding), <paramref name="scoreBatch"/>
    /// gives a batch's token log-probabilities (flat [batch · padded length · labels]) and the padded length, and each
    /// word takes its first piece's row in the window where it has the most context. A word no window scores gets a
    /// uniform row. The torch predictor and the service's ONNX Runtime tagger share this.
    /// </summary>
    public static float[][][] WordLogProbs(IReadOnlyList<WordWindow> windows, int labelCount, int batchSize,
        Func<IReadOnlyList<WordWindow>, (float[] LogProbs, int Length)> scoreBatch)
    {
        var tokenRowsPerWindow = LengthBatches.Map(windows, w => w.Length, batchSize, batch =>
        {
            var (logProbs, length) = scoreBatch(batch);
            if (logProbs.Length != batch.Count * length * labelCount)
                throw new InvalidDataException($"a batch of {batch.Count} windows × {length} tokens × {labelCount} labels got {logProbs.Length} scores");
            var tokenRows = LengthBatches.Rows(logProbs, batch.Count * length, labelCount);
            return batch.Select((_, i) => tokenRows[(i * length)..((i + 1) * length)]).ToArray();
        });
        // Each token's row gets a global number, so the word alignment can pick rows across windows.
        var rows = tokenRowsPerWindow.SelectMany(r => r).ToList();
        var perWindow = new IReadOnlyList<int>[windows.Count];
        for (int k = 0, first = 0; k < windows.Count; first += tokenRowsPerWindow[k].Length, k++)
            perWindow[k] = Enumerable.Range(first, tokenRowsPerWindow[k].Length).ToArray();
        var uniform = Enumerable.Repeat((float)-Math.Log(labelCount), labelCount).ToArray();
        var wordRows = WordAlignment.WordPredictions(windows, perWindow, fallback: -1);
        return wordRows.Select(sentence => sentence.Select(row => row < 0 ? uniform : rows[row]).ToArray()).ToArray();
    }

    /// <summary>Each word's label log-probabilities from an ONNX Runtime session over the kit's exported
    /// token-classification graph (<c>logits</c> output): windows padded as the torch predictor pads them
    /// (<see cref="TokenClassificationBatch"/>), so both backends see the same inputs. The service's ONNX tagger and the
    /// compression benchmark share this. A graph with another label count is refused, naming <paramref name="source"/>.</summary>
    public static float[][][] WordLogProbs(OnnxBertSession session, BertTextTokenizer tokenizer,
        IReadOnlyList<WordWindow> windows, int labelCount, int batchSize, string source) =>
        WordLogProbs(windows, labelCount, batchSize, batch =>
        {
            var padded = TokenizedBatch.Pad(batch.Select(w => w.Encoding).ToArray(), tokenizer.PadId, tokenizer.PadToken);
            var logits = session.Run(padded)["logits"];
            if (logits.Shape[^1] != labelCount)
                throw new InvalidDataException($"{source}: the graph gives {logits.Shape[^1]} labels per token, expected {labelCount}");
            return (LogSoftmax(logits.Values, labelCount), padded.SequenceLength);
        });

    /// <summary>Log-softmax over the last axis of row-major logits [..., <paramref name="labelCount"/>] (for scorers
    /// that return raw logits, such as an exported graph).</summary>
    public static float[] LogSoftmax(ReadOnlySpan<float> logits, int labelCount)
    {
        var result = new float[logits.Length];
        for (int row = 0; row < logits.Length; row += labelCount)
        {
            var values = logits.Slice(row, labelCount);
            float max = float.NegativeInfinity;
            foreach (var v in values) max = Math.Max(max, v);
            double sum = 0;
            foreach (var v in values) sum += Math.Exp(v - max);
            float logSum = max + (float)Math.Log(sum);
            for (int j = 0; j < labelCount; j++) result[row + j] = values[j] - logSum;
        }
        return result;
    }

    /// <summary>The predicted label id of every word, per sentence, and the mean loss per labelled token (NaN when
    /// the windows carry no labels). <paramref name="labels"/> (the label names) are needed for
    /// <see cref="TagDecoding.Iob2Constrained"/>.</summary>
    public static (int[][] WordLabels, double MeanLoss) PredictIds(BertPreTrainedModel<ClassifierOutput> model, BertTextTokenizer tokenizer,
        IReadOnlyList<WordWindow> windows, TokenClassificationOptions? options = null, IReadOnlyList<string>? labels = null)
    {
        options ??= new TokenClassificationOptions();
        var (logProbs, loss) = PredictLogProbs(model, tokenizer, windows, options);
        return (Decode(logProbs, options.Decoding, labels), loss);
    }

    /// <summary>One label id per word from per-word log-probabilities ([sentence][word][label]).</summary>
    public static int[][] Decode(IReadOnlyList<float[][]> wordLogProbs, TagDecoding decoding, IReadOnlyList<string>? labels = null)
    {
        switch (decoding)
        {
            case TagDecoding.Argmax:
                return wordLogProbs.Select(sentence => sentence.Select(ArgMax).ToArray()).ToArray();
            case TagDecoding.Iob2Constrained:
                var transitions = Iob2Viterbi.Transitions(labels ?? throw new ArgumentNullException(nameof(labels), "IOB2-constrained decoding needs the label names."));
                return wordLogProbs.Select(sentence => Iob2Viterbi.Decode(sentence, transitions)).ToArray();
            default:
                throw new ArgumentOutOfRangeException(nameof(decoding), decoding, null);
        }
    }

    /// <summary>Tags for new sentences (words already split): one label name per word.</summary>
    public static string[][] Predict(BertPreTrainedModel<ClassifierOutput> model, BertTextTokenizer tokenizer,
        IReadOnlyList<IReadOnlyList<string>> sentences, IReadOnlyList<string> labels, TokenClassificationOptions? options = null)
    {
        options ??= new TokenClassificationOptions();
        var windows = WordAlignment.AlignAll(tokenizer, sentences, null, options.Alignment(labels));
        var (ids, _) = PredictIds(model, tokenizer, windows, options, labels);
        var result = new string[sentences.Count][];
        for (int s = 0; s < sentences.Count; s++)
            result[s] = s < ids.Length ? ids[s].Select(id => labels[id]).ToArray() : [];
        return result;
    }

    static int ArgMax(float[] row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++) if (row[i] > row[best]) best = i;
        return best;
    }
}
