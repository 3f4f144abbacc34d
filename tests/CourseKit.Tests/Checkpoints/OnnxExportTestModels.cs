using CourseKit.Checkpoints;
using CourseKit.Models;
using CourseKit.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tests.Checkpoints;

/// <summary>
/// Tiny random BERTs (<see cref="SmallBert.Config"/>: 2 layers, hidden 32, 4 heads) saved as Hugging Face folders, one
/// per exported head, each exported to ONNX once (float32 and int8). Every parameter, biases and LayerNorms included,
/// is drawn at random (HF's init leaves biases at 0 and LayerNorm at 1, which would hide a misplaced bias).
/// </summary>
public sealed class OnnxExportFixture : IDisposable
{
    public const int Vocab = 60;
    public static readonly string[] SentimentLabels = ["negative", "neutral", "positive"];
    public static readonly string[] TagLabels = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG"];

    public OnnxExportFixture()
    {
        TorchRuntime.Initialize();
        Root = TestPaths.NewTempDir("coursekit-onnx-export");
        var config = SmallBert.Config(vocabSize: Vocab, layers: 2, hidden: 32, heads: 4, intermediate: 64, maxPositions: 64);
        VocabPath = Path.Combine(Root, "vocab.txt");
        File.WriteAllLines(VocabPath, new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" }.Concat(Enumerable.Range(0, Vocab - 5).Select(i => $"tok{i}")));
        torch.manual_seed(11);
        Save(new BertModel(config.Clone()), "encoder");
        Save(new BertForSequenceClassification(config.Clone().WithLabels(SentimentLabels)), "sequence-classification");
        Save(new BertForTokenClassification(config.Clone().WithLabels(TagLabels)), "token-classification");
        Save(new BertForQuestionAnswering(config.Clone()), "question-answering");
        foreach (var head in OnnxExportHeads.Names)
        {
            var folder = Folder(head == "embedding" ? "encoder" : head);
            var options = new OnnxExportOptions { Head = OnnxExportHeads.Parse(head) };
            Exports[head] = OnnxExport.ExportFolder(folder, Path.Combine(Root, $"{head}.onnx"), options);
            Int8Exports[head] = OnnxExport.ExportFolder(folder, Path.Combine(Root, $"{head}.int8.onnx"), options with { Int8 = true });
        }
    }

    public string Root { get; }
    public string VocabPath { get; }
    public Dictionary<string, OnnxExportResult> Exports { get; } = new();
    public Dictionary<string, OnnxExportResult> Int8Exports { get; } = new();

    public string Folder(string name) => Path.Combine(Root, name);

    void Save(nn.Module model, string name)
    {
        using (model)
        {
            using (no_grad())
                foreach (var (_, p) in model.named_parameters())
                    p.add_(torch.randn_like(p).mul_(0.2));
            ((IHuggingFaceModel)model).SavePretrained(Folder(name));
        }
    }

    /// <summary>A padded batch: rows of 9, 5 and 2 real tokens ([CLS] … [SEP]), zeros after, sentence B in row 0.</summary>
    public static (long[] Ids, long[] Mask, long[] Types, int B, int T) PaddedBatch()
    {
        const int B = 3, T = 9;
        int[] lengths = [9, 5, 2];
        var rng = new Random(5);
        var (ids, mask, types) = (new long[B * T], new long[B * T], new long[B * T]);
        for (int b = 0; b < B; b++)
            for (int t = 0; t < lengths[b]; t++)
            {
                ids[b * T + t] = t == 0 ? 2 : t == lengths[b] - 1 ? 3 : rng.Next(5, Vocab);
                mask[b * T + t] = 1;
                types[b * T + t] = b == 0 && t >= 5 ? 1 : 0;
            }
        return (ids, mask, types, B, T);
    }

    public static Tensor AsTensor(long[] values, int b, int t) => torch.tensor(values, [b, t]);

    public static double MaxAbsDiff(float[] a, Tensor b)
    {
        using var c = b.detach().cpu().contiguous();
        var other = c.data<float>().ToArray();
        Assert.Equal(other.Length, a.Length);
        return PackagedEncoders.MaxAbsDiff(a, other);
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
