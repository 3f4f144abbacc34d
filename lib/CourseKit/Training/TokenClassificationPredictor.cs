using CourseKit.Models;
using CourseKit.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Training;

/// <summary>Word-level predictions of a token classifier: windows in length-sorted batches, argmax per token, then
/// one label per original word (read at its first piece, in the window where it has the most context).</summary>
public static class TokenClassificationPredictor
{
    /// <summary>The predicted label id of every word, per sentence, and the mean loss per labelled token (NaN when
    /// the windows carry no labels). Runs in eval mode without gradients; the model's mode is restored.</summary>
    public static (int[][] WordLabels, double MeanLoss) PredictIds(BertPreTrainedModel<ClassifierOutput> model, BertTextTokenizer tokenizer,
        IReadOnlyList<WordWindow> windows, TokenClassificationOptions? options = null)
    {
        options ??= new TokenClassificationOptions();
        var perWindow = new IReadOnlyList<int>[windows.Count];
        var order = Enumerable.Range(0, windows.Count).OrderBy(k => windows[k].Length).ToArray();
        double lossSum = 0;
        long labelled = 0;
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = torch.no_grad();
            for (int start = 0; start < order.Length; start += options.EvalBatchSize)
            {
                using var scope = torch.NewDisposeScope();
                var ids = order.Skip(start).Take(options.EvalBatchSize).ToArray();
                using var batch = TokenClassificationBatch.Collate(ids.Select(k => windows[k]).ToArray(), tokenizer, options.Device);
                var logits = model.forward(batch.Inputs.InputIds, batch.Inputs.AttentionMask, batch.Inputs.TokenTypeIds, null).Logits;
                if (batch.Labels is { } labels)
                {
                    var flat = labels.view(-1);
                    lossSum += nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]), flat, ignore_index: -100, reduction: nn.Reduction.Sum).item<float>();
                    labelled += flat.ne(-100).sum().item<long>();
                }
                var predicted = logits.argmax(-1).to(ScalarType.Int32).cpu().data<int>().ToArray();
                int length = (int)logits.shape[1];
                for (int i = 0; i < ids.Length; i++) perWindow[ids[i]] = new ArraySegment<int>(predicted, i * length, length);
            }
        }
        finally { model.train(wasTraining); }
        return (WordAlignment.WordPredictions(windows, perWindow), labelled == 0 ? double.NaN : lossSum / labelled);
    }

    /// <summary>Tags for new sentences (words already split): one label name per word.</summary>
    public static string[][] Predict(BertPreTrainedModel<ClassifierOutput> model, BertTextTokenizer tokenizer,
        IReadOnlyList<IReadOnlyList<string>> sentences, IReadOnlyList<string> labels, TokenClassificationOptions? options = null)
    {
        options ??= new TokenClassificationOptions();
        var windows = WordAlignment.AlignAll(tokenizer, sentences, null, options.Alignment(labels));
        var (ids, _) = PredictIds(model, tokenizer, windows, options);
        var result = new string[sentences.Count][];
        for (int s = 0; s < sentences.Count; s++)
            result[s] = s < ids.Length ? ids[s].Select(id => labels[id]).ToArray() : [];
        return result;
    }
}
