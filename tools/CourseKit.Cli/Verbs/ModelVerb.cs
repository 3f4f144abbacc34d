using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CourseKit.Checkpoints;
using CourseKit.Models;
using CourseKit.Native;
using CourseKit.Text;
using Microsoft.Data.Analysis;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Cli.Verbs;

/// <summary><c>course model info | encode</c>: look inside a Hugging Face model folder (config.json +
/// model.safetensors [+ vocab.txt]) and run BERT on one input, printing numbers another implementation can compare.</summary>
public static class ModelVerb
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var cmd = new Command("model", "Inspect a Hugging Face model folder and run BERT on one input.");
        cmd.Subcommands.Add(CreateInfo());
        cmd.Subcommands.Add(CreateEncode());
        foreach (var sub in ModelImportCommands.Create()) cmd.Subcommands.Add(sub);   // import, import-onnx, list, embed
        return cmd;
    }

    static Argument<string> DirArgument() => new("dir") { Description = "Model folder: config.json and model.safetensors (vocab.txt for --text)." };

    static Option<string?> JsonOption(string what) => new("--json") { Description = $"Also write {what} to this JSON file." };

    // ---- info -------------------------------------------------------------------------------------------------

    static Command CreateInfo()
    {
        var dir = DirArgument();
        var json = JsonOption("the summary");
        var cmd = new Command("info", "Config, parameter counts by module, safetensors summary, load report and task heads present.");
        cmd.Arguments.Add(dir);
        cmd.Options.Add(json);
        cmd.SetAction(parse => Run(parse, out_ =>
        {
            var folder = RequireFolder(parse.GetValue(dir)!);
            var (modelType, rawConfig) = ReadModelType(folder);
            var weightsPath = RequireWeights(folder);
            using var file = SafeTensorsFile.Open(weightsPath);
            var names = file.Names.ToHashSet(StringComparer.Ordinal);

            TorchRuntime.Initialize();
            nn.Module model;
            string loadedAs;
            IReadOnlyList<string> configLines;
            if (modelType == "gpt2")
            {
                var c = GptConfig.Load(Path.Combine(folder, Pretrained.ConfigFile));
                model = new GptModel(c);
                loadedAs = nameof(GptModel);
                configLines = [
                    $"vocab_size {c.VocabSize}, n_embd {c.NEmbd}, n_layer {c.NLayer}, n_head {c.NHead} (head dim {c.HeadDim}), n_inner {c.InnerSize}",
                    $"n_positions {c.NPositions}, activation_function {c.ActivationFunction}, layer_norm_epsilon {F(c.LayerNormEpsilon)}",
                ];
            }
            else
            {
                var c = BertConfig.Load(Path.Combine(folder, Pretrained.ConfigFile));
                model = new BertModel(c);
                loadedAs = nameof(BertModel);
                configLines = [
                    $"vocab_size {c.VocabSize}, hidden_size {c.HiddenSize}, num_hidden_layers {c.NumHiddenLayers}, num_attention_heads {c.NumAttentionHeads} (head dim {c.HeadDim}), intermediate_size {c.IntermediateSize}",
                    $"max_position_embeddings {c.MaxPositionEmbeddings}, type_vocab_size {c.TypeVocabSize}, hidden_act {c.HiddenAct}, layer_norm_eps {F(c.LayerNormEps)}, pad_token_id {c.PadTokenId}",
                ];
            }
            using var _model = model;
            // A model built from the folder's own config that does not fit its weights is worth seeing, not a crash.
            var report = Pretrained.LoadWeights((IHuggingFaceModel)model, folder, ignoreMismatchedSizes: true);
            var heads = DetectHeads(modelType, names);
            var total = ParameterCounts.Total(model);
            var depth1 = ParameterCounts.ByModule(model, 1);
            var depth2 = ParameterCounts.ByModule(model, 2);

            var architectures = rawConfig["architectures"] is JsonArray a ? string.Join(", ", a.Select(x => x?.ToString())) : "(none)";
            out_.WriteLine($"model folder   {folder}");
            out_.WriteLine($"config.json    model_type {modelType}, architectures {architectures}");
            foreach (var line in configLines) out_.WriteLine($"               {line}");

            var dtypes = file.Entries.GroupBy(e => e.DType.ToString()).OrderBy(g => g.Key).Select(g => (g.Key, Count: g.Count())).ToList();
            var dataBytes = file.Entries.Sum(e => e.ByteLength);
            var elements = file.Entries.Sum(e => e.ElementCount);
            var fileBytes = new FileInfo(weightsPath).Length;
            out_.WriteLine($"{Pretrained.WeightsFile}  {file.Entries.Count} tensors ({string.Join(", ", dtypes.Select(d => $"{d.Key} x{d.Count}"))}), " +
                           $"{elements.ToString("N0", Inv)} values, {Size(dataBytes)} of data, file {Size(fileBytes)}" +
                           (file.Metadata.Count > 0 ? $", metadata {string.Join(", ", file.Metadata.Select(m => $"{m.Key}={m.Value}"))}" : ""));

            out_.WriteLine();
            out_.WriteLine($"parameters     {total.ToString("N0", Inv)} (as {loadedAs}; tied tensors counted once)");
            out_.WriteLine("by module, depth 1:");
            PrintTable(out_, depth1);
            out_.WriteLine("by module, depth 2:");
            PrintTable(out_, depth2);

            out_.WriteLine();
            out_.WriteLine($"load report (as {loadedAs}):");
            foreach (var line in report.ToString().Split('\n')) out_.WriteLine($"  {line}");
            out_.WriteLine($"task heads     {DescribeHeads(heads)}");

            if (parse.GetValue(json) is { } jsonPath)
            {
                var summary = new JsonObject
                {
                    ["directory"] = folder,
                    ["model_type"] = modelType,
                    ["loaded_as"] = loadedAs,
                    ["config"] = rawConfig.DeepClone(),
                    ["parameters"] = new JsonObject
                    {
                        ["total"] = total,
                        ["trainable"] = ParameterCounts.Trainable(model),
                        ["by_module_depth1"] = FrameToJson(depth1),
                        ["by_module_depth2"] = FrameToJson(depth2),
                    },
                    ["safetensors"] = new JsonObject
                    {
                        ["path"] = weightsPath,
                        ["tensors"] = file.Entries.Count,
                        ["dtypes"] = new JsonObject(dtypes.Select(d => KeyValuePair.Create(d.Key, (JsonNode?)d.Count))),
                        ["values"] = elements,
                        ["data_bytes"] = dataBytes,
                        ["file_bytes"] = fileBytes,
                        ["metadata"] = new JsonObject(file.Metadata.Select(m => KeyValuePair.Create(m.Key, (JsonNode?)m.Value))),
                    },
                    ["load_report"] = new JsonObject
                    {
                        ["loaded"] = report.Loaded.Count,
                        ["missing"] = Strings(report.Missing),
                        ["unexpected"] = Strings(report.Unexpected),
                        ["ignored"] = Strings(report.Ignored),
                        ["mismatched"] = new JsonArray(report.Mismatched.Select(m => (JsonNode?)new JsonObject
                        {
                            ["name"] = m.Key,
                            ["checkpoint_shape"] = new JsonArray(m.Checkpoint.Select(d => (JsonNode?)d).ToArray()),
                            ["model_shape"] = new JsonArray(m.Model.Select(d => (JsonNode?)d).ToArray()),
                        }).ToArray()),
                    },
                    ["heads"] = new JsonObject(heads.Select(h => KeyValuePair.Create(h.Key, (JsonNode?)h.Value))),
                };
                WriteJsonFile(jsonPath, summary.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                out_.WriteLine($"wrote {jsonPath}");
            }
            return 0;
        }));
        return cmd;
    }

    /// <summary>Which task-head tensors the checkpoint holds, by Hugging Face's names.</summary>
    static Dictionary<string, bool> DetectHeads(string modelType, HashSet<string> names)
    {
        bool Any(string prefix) => names.Any(n => n.StartsWith(prefix, StringComparison.Ordinal));
        if (modelType == "gpt2")
            return new() { ["lm_head"] = names.Contains("lm_head.weight") || Any("transformer.wte.") || Any("wte.") };
        return new()
        {
            ["pooler"] = Any("pooler.") || Any("bert.pooler."),
            ["mlm"] = Any("cls.predictions."),
            ["nsp"] = Any("cls.seq_relationship."),
            ["classifier"] = Any("classifier."),
            ["qa_outputs"] = Any("qa_outputs."),
        };
    }

    static string DescribeHeads(Dictionary<string, bool> heads)
    {
        var labels = new Dictionary<string, string>
        {
            ["pooler"] = "pooler", ["mlm"] = "MLM (cls.predictions)", ["nsp"] = "next-sentence (cls.seq_relationship)",
            ["classifier"] = "classifier", ["qa_outputs"] = "qa_outputs", ["lm_head"] = "LM head (tied to wte)",
        };
        var present = heads.Where(h => h.Value).Select(h => labels[h.Key]).ToList();
        var absent = heads.Where(h => !h.Value).Select(h => labels[h.Key]).ToList();
        return (present.Count > 0 ? "present: " + string.Join(", ", present) : "present: none (base model weights only)")
             + (absent.Count > 0 ? "; absent: " + string.Join(", ", absent) : "");
    }

    // ---- encode -----------------------------------------------------------------------------------------------

    static Command CreateEncode()
    {
        var dir = DirArgument();
        var text = new Option<string?>("--text") { Description = "Text to tokenize with the folder's vocab.txt / tokenizer_config.json." };
        var ids = new Option<string?>("--ids") { Description = "Token ids, comma-separated (e.g. 101,8667,102), used as given." };
        var types = new Option<string?>("--token-type-ids") { Description = "Segment ids for --ids, comma-separated (default all 0)." };
        var json = JsonOption("input_ids, tokens, last_hidden_state [tokens][hidden] and pooler_output");
        var cmd = new Command("encode", "Run BertModel (eval mode) on one input; print ids, tokens, output shapes and a few values.");
        cmd.Arguments.Add(dir);
        foreach (var o in new Option[] { text, ids, types, json }) cmd.Options.Add(o);
        cmd.SetAction(parse => Run(parse, out_ =>
        {
            var folder = RequireFolder(parse.GetValue(dir)!);
            var (modelType, _) = ReadModelType(folder);
            if (modelType != "bert")
                throw new ArgumentException($"{Path.Combine(folder, Pretrained.ConfigFile)}: model_type is '{modelType}'; 'course model encode' runs BERT models only");
            var configPath = Path.Combine(folder, Pretrained.ConfigFile);
            var config = BertConfig.Load(configPath);
            var weightsPath = RequireWeights(folder);

            var givenText = parse.GetValue(text);
            var givenIds = parse.GetValue(ids);
            if ((givenText is null) == (givenIds is null)) throw new ArgumentException("give exactly one of --text \"...\" or --ids 101,8667,102");
            if (givenText is not null && parse.GetValue(types) is not null) throw new ArgumentException("--token-type-ids goes with --ids (--text makes its own)");

            long[] inputIds, tokenTypes;
            string[]? tokens;
            if (givenText is not null)
            {
                var vocabPath = Path.Combine(folder, Pretrained.VocabFile);
                if (!File.Exists(vocabPath))
                    throw new FileNotFoundException($"{vocabPath}: missing, so --text cannot be tokenized (the folder has no WordPiece vocabulary); pass --ids instead", vocabPath);
                var encoded = Pretrained.LoadTokenizer(folder).Encode(givenText, new EncodeOptions { MaxLength = config.MaxPositionEmbeddings });
                inputIds = encoded.InputIds.Select(i => (long)i).ToArray();
                tokenTypes = encoded.TokenTypeIds.Select(i => (long)i).ToArray();
                tokens = encoded.Tokens.ToArray();
                CheckIds(inputIds, config, configPath, "tokenizer output");
            }
            else
            {
                inputIds = ParseIds(givenIds!, "--ids");
                CheckIds(inputIds, config, configPath, "--ids");
                tokenTypes = parse.GetValue(types) is { } t ? ParseIds(t, "--token-type-ids") : new long[inputIds.Length];
                if (tokenTypes.Length != inputIds.Length)
                    throw new ArgumentException($"--token-type-ids has {tokenTypes.Length} values for {inputIds.Length} ids");
                if (tokenTypes.FirstOrDefault(v => v >= config.TypeVocabSize) is var bad && bad >= config.TypeVocabSize)
                    throw new ArgumentException($"--token-type-ids: {bad} is outside type_vocab_size {config.TypeVocabSize} ({configPath})");
                tokens = VocabTokens(folder, inputIds);
            }

            TorchRuntime.Initialize();
            bool hasPooler;
            using (var file = SafeTensorsFile.Open(weightsPath))
                hasPooler = file.Names.Any(n => n.StartsWith("pooler.", StringComparison.Ordinal) || n.StartsWith("bert.pooler.", StringComparison.Ordinal));
            using var model = new BertModel(config, addPoolingLayer: hasPooler);
            var report = Pretrained.LoadWeights(model, folder);
            if (report.Missing.Count > 0)
                throw new InvalidDataException($"{weightsPath}: lacks {report.Missing.Count} tensor(s) of BertModel ({string.Join(", ", report.Missing.Take(3))}{(report.Missing.Count > 3 ? ", ..." : "")}); the output would come from random weights");
            model.eval();

            float[,] hidden;
            float[]? pooled;
            using (no_grad())
            using (var scope = NewDisposeScope())
            {
                var idsTensor = tensor(inputIds).unsqueeze(0);                    // [1, T]
                var typesTensor = tensor(tokenTypes).unsqueeze(0);                // [1, T]
                var output = model.forward(idsTensor, null, typesTensor);
                var h = output.LastHiddenState[0];                                // [T, H]
                hidden = new float[h.shape[0], h.shape[1]];
                var flat = h.contiguous().data<float>().ToArray();
                Buffer.BlockCopy(flat, 0, hidden, 0, flat.Length * sizeof(float));
                pooled = output.PoolerOutput is { } p ? p[0].data<float>().ToArray() : null;
            }

            int T = hidden.GetLength(0), H = hidden.GetLength(1);
            out_.WriteLine($"model          {folder} (BertModel, eval mode; {report.Loaded.Count} tensors loaded)");
            out_.WriteLine($"input_ids      [{string.Join(", ", inputIds)}]");
            if (tokens is not null) out_.WriteLine($"tokens         [{string.Join(", ", tokens)}]");
            if (tokenTypes.Any(t => t != 0)) out_.WriteLine($"token_type_ids [{string.Join(", ", tokenTypes)}]");
            out_.WriteLine($"last_hidden_state [1, {T}, {H}]; first {Math.Min(4, H)} values per token:");
            for (int i = 0; i < Math.Min(T, 16); i++)
                out_.WriteLine($"  {i,3} {(tokens?[i] ?? inputIds[i].ToString(Inv)),-14} {string.Join("  ", Enumerable.Range(0, Math.Min(4, H)).Select(j => hidden[i, j].ToString("+0.0000;-0.0000", Inv)))}");
            if (T > 16) out_.WriteLine($"  ... {T - 16} more tokens");
            out_.WriteLine(pooled is null
                ? "pooler_output  none (the checkpoint has no pooler weights)"
                : $"pooler_output  [1, {pooled.Length}]; first values {string.Join("  ", pooled.Take(4).Select(v => v.ToString("+0.0000;-0.0000", Inv)))}");

            if (parse.GetValue(json) is { } jsonPath)
            {
                WriteJsonFile(jsonPath, EncodeJson(inputIds, tokenTypes, tokens, hidden, pooled));
                out_.WriteLine($"wrote {jsonPath}");
            }
            return 0;
        }));
        return cmd;
    }

    static string EncodeJson(long[] ids, long[] types, string[]? tokens, float[,] hidden, float[]? pooled)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false }))
        {
            w.WriteStartObject();
            w.WriteStartArray("input_ids");
            foreach (var id in ids) w.WriteNumberValue(id);
            w.WriteEndArray();
            w.WriteStartArray("token_type_ids");
            foreach (var t in types) w.WriteNumberValue(t);
            w.WriteEndArray();
            if (tokens is null) w.WriteNull("tokens");
            else
            {
                w.WriteStartArray("tokens");
                foreach (var t in tokens) w.WriteStringValue(t);
                w.WriteEndArray();
            }
            w.WriteStartArray("last_hidden_state");
            for (int i = 0; i < hidden.GetLength(0); i++)
            {
                w.WriteStartArray();
                for (int j = 0; j < hidden.GetLength(1); j++) w.WriteNumberValue(hidden[i, j]);
                w.WriteEndArray();
            }
            w.WriteEndArray();
            if (pooled is null) w.WriteNull("pooler_output");
            else
            {
                w.WriteStartArray("pooler_output");
                foreach (var v in pooled) w.WriteNumberValue(v);
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        // One line per token keeps the file readable and diff-able without a JSON viewer.
        return Encoding.UTF8.GetString(stream.ToArray()).Replace("],[", "],\n[") + "\n";
    }

    static long[] ParseIds(string text, string option)
    {
        var parts = text.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new ArgumentException($"{option}: no ids given");
        return parts.Select(p => long.TryParse(p, NumberStyles.Integer, Inv, out var v) && v >= 0
            ? v
            : throw new ArgumentException($"{option}: '{p}' is not a token id (a non-negative integer)")).ToArray();
    }

    static void CheckIds(long[] ids, BertConfig config, string configPath, string source)
    {
        if (ids.FirstOrDefault(i => i >= config.VocabSize, -1) is var bad && bad >= 0)
            throw new ArgumentException($"{source}: id {bad} is outside vocab_size {config.VocabSize} ({configPath})");
        if (ids.Length > config.MaxPositionEmbeddings)
            throw new ArgumentException($"{source}: {ids.Length} tokens exceed max_position_embeddings {config.MaxPositionEmbeddings} ({configPath})");
    }

    /// <summary>vocab.txt line i is token i; null when the folder has no vocabulary.</summary>
    static string[]? VocabTokens(string folder, long[] ids)
    {
        var vocabPath = Path.Combine(folder, Pretrained.VocabFile);
        if (!File.Exists(vocabPath)) return null;
        var vocab = File.ReadAllLines(vocabPath);
        return ids.Select(i => i < vocab.Length ? vocab[i].TrimEnd('\r') : "?").ToArray();
    }

    // ---- shared -----------------------------------------------------------------------------------------------

    static string RequireFolder(string dir)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"{dir}: no such model folder");
        return dir;
    }

    static string RequireWeights(string folder)
    {
        var path = Path.Combine(folder, Pretrained.WeightsFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: missing (the folder needs model.safetensors)", path);
        return path;
    }

    /// <summary>config.json as JSON and its model_type (bert when absent, as BertConfig assumes).</summary>
    static (string ModelType, JsonObject Raw) ReadModelType(string folder)
    {
        var path = Path.Combine(folder, Pretrained.ConfigFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: missing (a Hugging Face model folder has config.json)", path);
        JsonObject raw;
        try
        {
            raw = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }) as JsonObject
                  ?? throw new InvalidDataException($"{path}: not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON (line {e.LineNumber + 1}): {e.Message}", e);
        }
        var type = raw["model_type"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "bert";
        if (type is not ("bert" or "gpt2"))
            throw new InvalidDataException($"{path}: model_type '{type}' is not one the kit reads (bert, gpt2)");
        return (type, raw);
    }

    static JsonArray FrameToJson(DataFrame frame) => new(Enumerable.Range(0, (int)frame.Rows.Count).Select(i => (JsonNode?)new JsonObject
    {
        ["module"] = (string)frame.Columns["module"][i],
        ["parameters"] = (long)frame.Columns["parameters"][i],
    }).ToArray());

    static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)v).ToArray());

    static void WriteJsonFile(string path, string content)
    {
        var parent = Path.GetDirectoryName(Path.GetFullPath(path));
        if (parent is not null) Directory.CreateDirectory(parent);
        File.WriteAllText(path, content);
    }

    static void PrintTable(TextWriter out_, DataFrame frame)
    {
        string Cell(object? v) => v switch
        {
            long l => l.ToString("N0", Inv),
            double d => d.ToString("0.00", Inv),
            _ => Convert.ToString(v, Inv) ?? "",
        };
        var headers = frame.Columns.Select(c => c.Name).ToList();
        var rows = Enumerable.Range(0, (int)frame.Rows.Count).Select(i => frame.Rows[i].Select(Cell).ToList()).ToList();
        var widths = headers.Select((h, j) => rows.Select(r => r[j].Length).Append(h.Length).Max()).ToList();
        string Line(IReadOnlyList<string> values) =>
            "  " + string.Join("  ", values.Select((v, j) => j == 0 ? v.PadRight(widths[j]) : v.PadLeft(widths[j])));
        out_.WriteLine(Line(headers));
        foreach (var row in rows) out_.WriteLine(Line(row));
    }

    static string F(double v) => v.ToString("G", Inv).Replace("E", "e");

    static string Size(long bytes) => bytes switch
    {
        >= 1 << 30 => $"{bytes / (double)(1 << 30):0.00} GiB",
        >= 1 << 20 => $"{bytes / (double)(1 << 20):0.0} MiB",
        >= 1 << 10 => $"{bytes / (double)(1 << 10):0.0} KiB",
        _ => $"{bytes} B",
    };

    /// <summary>Runs the verb body; bad input prints one 'error:' line naming the file and exits 1.</summary>
    static int Run(ParseResult parse, Func<TextWriter, int> body)
    {
        try
        {
            return body(parse.InvocationConfiguration.Output);
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or InvalidDataException or SafeTensorsFormatException
                                       or UnauthorizedAccessException or NotSupportedException or StateDictShapeException)
        {
            var message = ex is ArgumentException { ParamName: { } param } ? ex.Message.Replace($" (Parameter '{param}')", "") : ex.Message;
            parse.InvocationConfiguration.Error.WriteLine($"error: {message}");
            return 1;
        }
    }
}
