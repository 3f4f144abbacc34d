using System.Diagnostics;
using System.Text;
using CourseKit.Models;
using CourseKit.Text;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Checkpoints;

/// <summary>How an imported folder is described and tokenized.</summary>
public sealed record OnnxImportOptions
{
    /// <summary>Uncased WordPiece (lower-case and strip accents), written as do_lower_case in tokenizer_config.json.</summary>
    public bool LowerCase { get; init; } = true;
    public int ModelMaxLength { get; init; } = 512;
    /// <summary>The sentence pooling the model was trained with, written as 1_Pooling/config.json; none when null.</summary>
    public SentencePooling? Pooling { get; init; }
    /// <summary>The sequence length the sentence model was trained with (sentence_bert_config.json), when known.</summary>
    public int? MaxSequenceLength { get; init; }
    /// <summary>Front-matter fields of MODEL_CARD.md (source, license, …) and its text.</summary>
    public IReadOnlyDictionary<string, string>? CardFields { get; init; }
    public string? CardText { get; init; }
}

/// <summary>What an import wrote.</summary>
public sealed record OnnxImportResult(string Directory, BertConfig Config, long Parameters, bool HasPooler, TimeSpan Elapsed);

/// <summary>
/// Rebuilds a Hugging Face BERT folder (config.json, model.safetensors, vocab.txt, tokenizer_config.json,
/// MODEL_CARD.md) from an ONNX export and its vocabulary, so <see cref="BertModel.FromPretrained"/> loads it.
/// The folder is assembled beside the target and renamed into place only when complete and verified against
/// BertModel; on any refusal nothing is left behind.
/// </summary>
public static class OnnxImport
{
    public const string ModelCardFile = "MODEL_CARD.md";

    public static OnnxImportResult ImportBert(string onnxPath, string vocabPath, string targetDir, OnnxImportOptions? options = null)
    {
        if (!File.Exists(onnxPath)) throw new FileNotFoundException($"{onnxPath}: no such ONNX file", onnxPath);
        if (!File.Exists(vocabPath)) throw new FileNotFoundException($"{vocabPath}: no such vocabulary file", vocabPath);
        return ImportBert(File.ReadAllBytes(onnxPath), onnxPath, File.ReadAllBytes(vocabPath), vocabPath, targetDir, options);
    }

    public static OnnxImportResult ImportBert(byte[] onnx, string onnxSource, byte[] vocab, string vocabSource, string targetDir, OnnxImportOptions? options = null) =>
        ImportBert(OnnxGraphIndex.ParseModel(onnx, onnxSource), onnxSource, vocab, vocabSource, targetDir, options);

    public static OnnxImportResult ImportBert(ModelProto model, string onnxSource, byte[] vocab, string vocabSource, string targetDir, OnnxImportOptions? options = null)
    {
        options ??= new OnnxImportOptions();
        var clock = Stopwatch.StartNew();
        var (config, weights) = OnnxBertReader.Read(new OnnxGraphIndex(model, onnxSource));
        int tokens = CountVocabLines(vocab);
        if (tokens != config.VocabSize)
            throw new InvalidDataException($"{vocabSource}: {tokens} tokens, but embeddings.word_embeddings.weight in {onnxSource} has {config.VocabSize} rows");

        var target = Path.GetFullPath(targetDir);
        var parent = Path.GetDirectoryName(target) ?? throw new ArgumentException($"{targetDir}: no parent folder");
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, $".{Path.GetFileName(target)}.importing-{Guid.NewGuid():N}");
        bool hasPooler = weights.Any(w => w.Name.StartsWith("pooler.", StringComparison.Ordinal));
        try
        {
            Directory.CreateDirectory(temp);
            File.WriteAllBytes(Path.Combine(temp, Pretrained.VocabFile), vocab);
            Pretrained.SaveTokenizer(BertTextTokenizer.FromVocab(Path.Combine(temp, Pretrained.VocabFile), options.LowerCase), temp, options.ModelMaxLength);
            config.Save(Path.Combine(temp, Pretrained.ConfigFile));
            WriteWeights(config, weights, hasPooler, Path.Combine(temp, Pretrained.WeightsFile), onnxSource);
            if (options.Pooling is { } pooling) SentenceEncoder.SavePoolingConfig(temp, pooling, config.HiddenSize, options.MaxSequenceLength);
            ModelCard.Write(Path.Combine(temp, ModelCardFile), CardFields(options, onnxSource, vocabSource, config, weights), options.CardText ?? "");
            ReplaceFolder(temp, target);
        }
        catch
        {
            try { if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
        return new OnnxImportResult(target, config, weights.Sum(w => w.Values.LongLength), hasPooler, clock.Elapsed);
    }

    /// <summary>vocab.txt lines (one token each; a final newline ends the last token, it does not start another).</summary>
    static int CountVocabLines(byte[] vocab)
    {
        int lines = vocab.Count(b => b == (byte)'\n');
        return vocab.Length > 0 && vocab[^1] != (byte)'\n' ? lines + 1 : lines;
    }

    /// <summary>Checks the tensors against BertModel (every parameter filled, none left over, shapes equal) and writes them.</summary>
    static void WriteWeights(BertConfig config, IReadOnlyList<OnnxWeight> weights, bool hasPooler, string path, string onnxSource)
    {
        using var scope = NewDisposeScope();
        var tensors = weights.ToDictionary(w => w.Name, w => torch.tensor(w.Values, w.Shape), StringComparer.Ordinal);
        using (var model = new BertModel(config, hasPooler, initWeights: false))
        {
            LoadReport report;
            try { using (no_grad()) report = model.Load(tensors); }
            catch (StateDictShapeException e) { throw new InvalidDataException($"{onnxSource}: {e.Message}", e); }
            if (!report.IsComplete || report.Unexpected.Count > 0)
                throw new InvalidDataException($"{onnxSource}: the graph's tensors do not make a BertModel: " +
                    (report.Missing.Count > 0 ? $"missing {string.Join(", ", report.Missing.Take(5))}{(report.Missing.Count > 5 ? ", ..." : "")}; " : "") +
                    (report.Unexpected.Count > 0 ? $"unplaced {string.Join(", ", report.Unexpected.Take(5))}" : ""));
        }
        SafeTensorsFile.Save(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });
    }

    static Dictionary<string, string> CardFields(OnnxImportOptions options, string onnxSource, string vocabSource, BertConfig config, IReadOnlyList<OnnxWeight> weights)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["source"] = onnxSource,
            ["vocab_source"] = vocabSource,
            ["license"] = "unknown",
        };
        if (options.CardFields is not null)
            foreach (var (k, v) in options.CardFields) fields[k] = v;
        fields["architecture"] = $"BertModel, {config.NumHiddenLayers} layers, hidden {config.HiddenSize}, {config.NumAttentionHeads} heads, FFN {config.IntermediateSize}, vocab {config.VocabSize}";
        fields["parameters"] = weights.Sum(w => w.Values.LongLength).ToString(System.Globalization.CultureInfo.InvariantCulture);
        fields["imported"] = "ONNX graph rebuilt into the Hugging Face layout by CourseKit.Checkpoints.OnnxImport";
        return fields;
    }

    /// <summary>Puts the finished folder at <paramref name="target"/>: an older folder there is moved aside first and
    /// deleted only after the new one is in place.</summary>
    static void ReplaceFolder(string temp, string target)
    {
        if (!Directory.Exists(target) && !File.Exists(target)) { Directory.Move(temp, target); return; }
        if (File.Exists(target)) throw new IOException($"{target}: a file is in the way of the model folder");
        var old = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.replaced-{Guid.NewGuid():N}");
        Directory.Move(target, old);
        try { Directory.Move(temp, target); }
        catch { Directory.Move(old, target); throw; }
        Directory.Delete(old, recursive: true);
    }
}
