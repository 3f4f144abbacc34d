using System.Globalization;
using CourseKit.Checkpoints;
using static TorchSharp.torch;

namespace CourseKit.Models;

/// <summary>
/// Looks inside a Hugging Face model folder (config.json + model.safetensors [+ vocab.txt]) and runs BERT on one
/// input, giving numbers another implementation (transformers in Python, say) can be compared with. What
/// <c>course model info | encode</c> prints; a notebook can call the same methods. Call
/// <see cref="Native.TorchRuntime.Initialize"/> first, as before any torch call.
/// </summary>
public static class ModelInspection
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static ModelInfo Inspect(string dir) => Inspect(ModelFolder.Open(dir));

    /// <summary>Builds the model the folder's config describes and loads the weights into it. A config that does not
    /// fit its weights is worth seeing, not a crash: mismatched tensors are reported, not thrown.</summary>
    public static ModelInfo Inspect(ModelFolder folder)
    {
        var weightsPath = folder.RequireWeights();
        using var file = SafeTensorsFile.Open(weightsPath);
        var names = file.Names.ToHashSet(StringComparer.Ordinal);
        var (model, loadedAs, configLines) = BuildModel(folder);
        using var _model = model;
        var report = Pretrained.LoadWeights((IHuggingFaceModel)model, folder.Directory, ignoreMismatchedSizes: true);
        return new ModelInfo(folder, loadedAs, configLines,
            ParameterCounts.Total(model), ParameterCounts.Trainable(model),
            ParameterCounts.ByModule(model, 1), ParameterCounts.ByModule(model, 2),
            SafeTensorsSummary.Of(file), report, TaskHeads.Detect(folder.ModelType, names));
    }

    /// <summary>The base model of the folder's model_type, freshly initialised, and its config's sizes in words.</summary>
    static (nn.Module Model, string LoadedAs, IReadOnlyList<string> ConfigLines) BuildModel(ModelFolder folder)
    {
        if (folder.ModelType == "gpt2")
        {
            var c = GptConfig.Load(folder.ConfigPath);
            return (new GptModel(c), nameof(GptModel), [
                $"vocab_size {c.VocabSize}, n_embd {c.NEmbd}, n_layer {c.NLayer}, n_head {c.NHead} (head dim {c.HeadDim}), n_inner {c.InnerSize}",
                $"n_positions {c.NPositions}, activation_function {c.ActivationFunction}, layer_norm_epsilon {Exponent(c.LayerNormEpsilon)}",
            ]);
        }
        var b = BertConfig.Load(folder.ConfigPath);
        return (new BertModel(b), nameof(BertModel), [
            $"vocab_size {b.VocabSize}, hidden_size {b.HiddenSize}, num_hidden_layers {b.NumHiddenLayers}, num_attention_heads {b.NumAttentionHeads} (head dim {b.HeadDim}), intermediate_size {b.IntermediateSize}",
            $"max_position_embeddings {b.MaxPositionEmbeddings}, type_vocab_size {b.TypeVocabSize}, hidden_act {b.HiddenAct}, layer_norm_eps {Exponent(b.LayerNormEps)}, pad_token_id {b.PadTokenId}",
        ]);
    }

    /// <summary>1e-12 as Python prints it, not 1E-12.</summary>
    static string Exponent(double v) => v.ToString("G", Inv).Replace("E", "e");

    // ---- encode -----------------------------------------------------------------------------------------------

    public static ModelEncoding Encode(string dir, long[] inputIds, long[]? tokenTypeIds = null) =>
        Encode(ModelFolder.Open(dir), inputIds, tokenTypeIds);

    public static ModelEncoding EncodeText(string dir, string text) => EncodeText(ModelFolder.Open(dir), text);

    /// <summary>Runs BertModel (eval mode) on <paramref name="inputIds"/> as given; segment ids default to all 0.
    /// Tokens are read back from vocab.txt when the folder has one.</summary>
    public static ModelEncoding Encode(ModelFolder folder, long[] inputIds, long[]? tokenTypeIds = null)
    {
        var config = ReadBertConfig(folder);
        folder.RequireWeights();
        CheckIds(inputIds, config, folder.ConfigPath, nameof(inputIds), nameof(inputIds));
        tokenTypeIds ??= new long[inputIds.Length];
        if (tokenTypeIds.Length != inputIds.Length)
            throw new ArgumentException($"{nameof(tokenTypeIds)} has {tokenTypeIds.Length} values for {inputIds.Length} ids", nameof(tokenTypeIds));
        if (tokenTypeIds.FirstOrDefault(v => v >= config.TypeVocabSize) is var bad && bad >= config.TypeVocabSize)
            throw new ArgumentException($"{nameof(tokenTypeIds)}: {bad} is outside type_vocab_size {config.TypeVocabSize} ({folder.ConfigPath})", nameof(tokenTypeIds));
        return Run(folder, config, inputIds, tokenTypeIds, VocabTokens(folder, inputIds));
    }

    /// <summary>Tokenizes <paramref name="text"/> with the folder's vocab.txt / tokenizer_config.json, then runs BertModel.</summary>
    public static ModelEncoding EncodeText(ModelFolder folder, string text)
    {
        var config = ReadBertConfig(folder);
        folder.RequireWeights();
        var encoded = Pretrained.LoadTokenizer(folder.Directory).Encode(text, new Text.EncodeOptions { MaxLength = config.MaxPositionEmbeddings });
        var inputIds = encoded.InputIds.Select(i => (long)i).ToArray();
        CheckIds(inputIds, config, folder.ConfigPath, "tokenizer output", nameof(text));
        return Run(folder, config, inputIds, encoded.TokenTypeIds.Select(i => (long)i).ToArray(), encoded.Tokens.ToArray());
    }

    static BertConfig ReadBertConfig(ModelFolder folder)
    {
        if (folder.ModelType != "bert")
            throw new NotSupportedException($"{folder.ConfigPath}: model_type is '{folder.ModelType}'; encoding runs BERT models only");
        return BertConfig.Load(folder.ConfigPath);
    }

    /// <summary>Ids the model cannot embed are an error naming the config, not an index error deep in torch.</summary>
    /// <paramref name="source"/> opens the message; <paramref name="paramName"/> is the argument that carried the ids.
    static void CheckIds(long[] ids, BertConfig config, string configPath, string source, string paramName)
    {
        if (ids.FirstOrDefault(i => i >= config.VocabSize, -1) is var bad && bad >= 0)
            throw new ArgumentException($"{source}: id {bad} is outside vocab_size {config.VocabSize} ({configPath})", paramName);
        if (ids.Length > config.MaxPositionEmbeddings)
            throw new ArgumentException($"{source}: {ids.Length} tokens exceed max_position_embeddings {config.MaxPositionEmbeddings} ({configPath})", paramName);
    }

    /// <summary>vocab.txt line i is token i; null when the folder has no vocabulary.</summary>
    static string[]? VocabTokens(ModelFolder folder, long[] ids)
    {
        if (!folder.HasVocab) return null;
        var vocab = File.ReadAllLines(folder.VocabPath);
        return ids.Select(i => i < vocab.Length ? vocab[i].TrimEnd('\r') : "?").ToArray();
    }

    static ModelEncoding Run(ModelFolder folder, BertConfig config, long[] inputIds, long[] tokenTypeIds, string[]? tokens)
    {
        bool hasPooler;
        using (var file = SafeTensorsFile.Open(folder.WeightsPath))
            hasPooler = TaskHeads.HasPooler(file.Names);
        using var model = new BertModel(config, addPoolingLayer: hasPooler);
        var report = Pretrained.LoadWeights(model, folder.Directory);
        if (report.Missing.Count > 0)
            throw new InvalidDataException($"{folder.WeightsPath}: lacks {report.Missing.Count} tensor(s) of BertModel ({string.Join(", ", report.Missing.Take(3))}{(report.Missing.Count > 3 ? ", ..." : "")}); the output would come from random weights");
        model.eval();

        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var output = model.forward(tensor(inputIds).unsqueeze(0), null, tensor(tokenTypeIds).unsqueeze(0));  // ids, segments: [1, T]
        var h = output.LastHiddenState[0];                                                                    // [T, H]
        var hidden = new float[h.shape[0], h.shape[1]];
        var flat = h.contiguous().data<float>().ToArray();
        Buffer.BlockCopy(flat, 0, hidden, 0, flat.Length * sizeof(float));
        var pooled = output.PoolerOutput is { } p ? p[0].data<float>().ToArray() : null;
        return new ModelEncoding(folder.Directory, report.Loaded.Count, inputIds, tokenTypeIds, tokens, hidden, pooled);
    }
}
