using System.Diagnostics;
using CourseKit.Checkpoints;
using CourseKit.Models;
using CourseKit.Native;
using CourseKit.Text;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace CourseKit.Tests.Checkpoints;

/// <summary>The two packaged encoders' original bytes (read once per test run) and ONNX Runtime on them.</summary>
public static class PackagedEncoders
{
    static readonly Dictionary<string, Lazy<(byte[] Onnx, byte[] Vocab)>> Bytes = KnownEncoders.All.ToDictionary(
        e => e.Name,
        e => new Lazy<(byte[], byte[])>(() =>
        {
            var dll = KnownEncoders.PackageAssemblyPath(e);
            return (KnownEncoders.ReadManifestResource(dll, e.OnnxResource), KnownEncoders.ReadManifestResource(dll, e.VocabResource));
        }));

    public static byte[] Onnx(string name) => Bytes[name].Value.Onnx;
    public static byte[] Vocab(string name) => Bytes[name].Value.Vocab;

    /// <summary>Real sentences of different lengths, casing, accents and punctuation, so the batch is padded.</summary>
    public static readonly string[] Sentences =
    [
        "A man is playing a guitar.",
        "Someone plays the acoustic guitar on stage while the crowd sings along.",
        "The stock market fell sharply on Tuesday after the central bank raised interest rates by half a point.",
        "Café owners in Zürich say prices rose 12% — customers aren't happy!",
        "Hello",
        "it's a charming and often affecting journey.",
    ];

    /// <summary>The padded batch as the kit tokenizes it: ids, mask and token types, [B, T] each.</summary>
    public static (long[] Ids, long[] Mask, long[] Types, int B, int T) Batch(BertTextTokenizer tokenizer, IReadOnlyList<string> texts)
    {
        var batch = tokenizer.EncodeBatch(texts, new EncodeOptions { Padding = PaddingStrategy.Longest });
        long[] Flat(Func<TokenizedText, IReadOnlyList<int>> pick) => batch.Items.SelectMany(i => pick(i).Select(v => (long)v)).ToArray();
        return (Flat(i => i.InputIds), Flat(i => i.AttentionMask), Flat(i => i.TokenTypeIds), batch.Count, batch.SequenceLength);
    }

    /// <summary>ONNX Runtime's outputs of the original graph: last_hidden_state [B·T·H] and the pooler [B·H] when the graph has one.</summary>
    public static (float[] Hidden, float[]? Pooler) RunOriginal(string name, long[] ids, long[] mask, long[] types, int b, int t)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 2 };
        using var session = new InferenceSession(Onnx(name), options);
        int[] dims = [b, t];
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids, dims)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(mask, dims)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(types, dims)),
        };
        using var results = session.Run(inputs);
        var hidden = results.Single(r => r.Name == "last_hidden_state").AsEnumerable<float>().ToArray();
        var pooler = results.SingleOrDefault(r => r.Name != "last_hidden_state")?.AsEnumerable<float>().ToArray();
        return (hidden, pooler);
    }

    public static double MaxAbsDiff(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        double max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs((double)a[i] - b[i]));
        return max;
    }
}

/// <summary>Both packaged encoders imported once into a temp folder, with the import wall times.</summary>
public sealed class ImportedEncodersFixture : IDisposable
{
    public ImportedEncodersFixture()
    {
        TorchRuntime.Initialize();
        Root = TestPaths.NewTempDir("coursekit-onnx-import");
        foreach (var encoder in KnownEncoders.All)
        {
            var clock = Stopwatch.StartNew();
            var result = KnownEncoders.Import(encoder, Path.Combine(Root, encoder.FolderName));
            Results[encoder.Name] = result;
            WallSeconds[encoder.Name] = clock.Elapsed.TotalSeconds;
        }
    }

    public string Root { get; }
    public Dictionary<string, OnnxImportResult> Results { get; } = new();
    public Dictionary<string, double> WallSeconds { get; } = new();
    public string Folder(string name) => Results[name].Directory;

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
