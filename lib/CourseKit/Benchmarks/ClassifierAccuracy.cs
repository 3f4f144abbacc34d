using CourseKit.Checkpoints;
using CourseKit.Models;
using CourseKit.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Benchmarks;

/// <summary>Accuracy of one sequence classifier run three ways on the same labelled sentences: the kit's TorchSharp model
/// (float32 or bfloat16) and an ONNX export of it in ONNX Runtime (float32 or int8), batch by batch, argmax of the
/// logits. What the compression table compares.</summary>
public static class ClassifierAccuracy
{
    /// <summary>The kit's model from <paramref name="modelDir"/>, cast to <paramref name="dtype"/>.</summary>
    public static double Torch(string modelDir, IReadOnlyList<(string Text, int Label)> data, ScalarType dtype = ScalarType.Float32,
        int batchSize = 32, int maxLength = 128)
    {
        using var model = BertForSequenceClassification.FromPretrained(modelDir);
        model.eval();
        if (dtype != ScalarType.Float32) model.to(dtype);
        var tokenizer = Pretrained.LoadTokenizer(modelDir);
        return Accuracy(data, batchSize, texts =>
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();   // not inference_mode: its tensors cannot be updated in place afterwards, anywhere
            var inputs = tokenizer.EncodeBatch(texts, new EncodeOptions { Padding = PaddingStrategy.Longest, MaxLength = maxLength }).ToTensors(CPU);
            var logits = model.forward(inputs.InputIds, inputs.AttentionMask, inputs.TokenTypeIds, null).Logits;
            return logits.argmax(-1).data<long>().Select(v => (int)v).ToArray();
        });
    }

    /// <summary>An exported sequence-classification graph (logits [batch, labels]) with the folder's tokenizer.</summary>
    public static double Onnx(string onnxPath, BertTextTokenizer tokenizer, IReadOnlyList<(string Text, int Label)> data,
        int batchSize = 32, int maxLength = 128, int threads = 0)
    {
        using var session = new OnnxBertSession(onnxPath, threads);
        return Accuracy(data, batchSize, texts =>
        {
            var logits = session.Run(tokenizer, texts, maxLength)["logits"];
            int labels = logits.Shape[1];
            return Enumerable.Range(0, logits.Shape[0]).Select(row =>
            {
                var span = logits.Values.AsSpan(row * labels, labels);
                int best = 0;
                for (int j = 1; j < labels; j++) if (span[j] > span[best]) best = j;
                return best;
            }).ToArray();
        });
    }

    static double Accuracy(IReadOnlyList<(string Text, int Label)> data, int batchSize, Func<IReadOnlyList<string>, int[]> predict)
    {
        if (data.Count == 0) throw new ArgumentException("no labelled sentences to score", nameof(data));
        int correct = 0;
        for (int start = 0; start < data.Count; start += batchSize)
        {
            var slice = data.Skip(start).Take(batchSize).ToList();
            var predicted = predict(slice.Select(d => d.Text).ToList());
            correct += slice.Zip(predicted, (d, p) => d.Label == p ? 1 : 0).Sum();
        }
        return correct / (double)data.Count;
    }
}
