using System.Text.Json;
using System.Text.Json.Nodes;
using CourseKit.Checkpoints;
using CourseKit.Reporting;
using CourseKit.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Models;

/// <summary>A model read from a folder, with what the load found (Hugging Face's output_loading_info).</summary>
public sealed record PretrainedModel<TModel>(TModel Model, LoadReport Report, string Directory);

/// <summary>A warning shown when a checkpoint did not fill the whole model (e.g. a new task head).</summary>
public sealed record LoadWarning(string Directory, string ModelName, LoadReport Report)
{
    public override string ToString() =>
        $"{ModelName} from {Directory}: {Report}" + (Report.Missing.Count > 0 ? "\nYou should probably fine-tune this model before using it for predictions." : "");
}

/// <summary>
/// The Hugging Face folder layout: config.json, model.safetensors, vocab.txt and tokenizer_config.json. The same code
/// reads the kit's own pretrained checkpoints and real Hub checkpoints such as bert-base-cased.
/// </summary>
public static class Pretrained
{
    public const string ConfigFile = "config.json", WeightsFile = "model.safetensors", VocabFile = "vocab.txt",
        TokenizerConfigFile = "tokenizer_config.json";

    public static PretrainedModel<TModel> Load<TModel, TConfig>(string dir, Func<string, TConfig> readConfig, Func<TConfig, TModel> create,
        Func<TConfig, TConfig>? adjust = null, bool ignoreMismatchedSizes = false)
        where TModel : nn.Module, IHuggingFaceModel
    {
        if (!System.IO.Directory.Exists(dir)) throw new DirectoryNotFoundException($"{dir}: no such model folder");
        var configPath = Path.Combine(dir, ConfigFile);
        if (!File.Exists(configPath)) throw new FileNotFoundException($"{configPath}: missing (a Hugging Face model folder has config.json)", configPath);
        var config = readConfig(configPath);
        if (adjust is not null) config = adjust(config);
        var model = create(config);
        var report = LoadWeights(model, dir, ignoreMismatchedSizes);
        if (!report.IsComplete || report.Unexpected.Count > 0) Reporter.Show(new LoadWarning(dir, typeof(TModel).Name, report));
        return new PretrainedModel<TModel>(model, report, dir);
    }

    /// <summary>Reads model.safetensors into a model, reporting missing and unexpected tensors; a shape mismatch is an
    /// error naming the file and tensor.</summary>
    public static LoadReport LoadWeights(IHuggingFaceModel model, string dir, bool ignoreMismatchedSizes = false)
    {
        var path = Path.Combine(dir, WeightsFile);
        if (!File.Exists(path))
        {
            var hint = File.Exists(Path.Combine(dir, "pytorch_model.bin"))
                ? " The folder has pytorch_model.bin (pickle), which is not read here: save the model with safe_serialization=True or convert it to safetensors."
                : "";
            throw new FileNotFoundException($"{path}: missing model weights.{hint}", path);
        }
        var tensors = SafeTensorsFile.Load(path);
        try
        {
            using var noGrad = torch.no_grad();
            return model.Load(tensors, ignoreMismatchedSizes);
        }
        catch (StateDictShapeException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>Writes the folder: config.json, model.safetensors (with HF's "format": "pt" metadata), and when a
    /// tokenizer is given, its vocab.txt and tokenizer_config.json. Each file is written atomically.</summary>
    public static void Save(IHuggingFaceModel model, string dir, BertTextTokenizer? tokenizer = null, int? modelMaxLength = null) =>
        Save(model, model.StateDictForSave(), dir, tokenizer, modelMaxLength);

    /// <summary>As <see cref="Save(IHuggingFaceModel, string, BertTextTokenizer?, int?)"/> with the weights given
    /// (e.g. a PEFT model's state without its adapter tensors).</summary>
    public static void Save(IHuggingFaceModel model, IReadOnlyDictionary<string, Tensor> tensors, string dir, BertTextTokenizer? tokenizer = null, int? modelMaxLength = null)
    {
        System.IO.Directory.CreateDirectory(dir);
        model.SaveConfig(Path.Combine(dir, ConfigFile));
        SafeTensorsFile.Save(Path.Combine(dir, WeightsFile), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        if (tokenizer is not null) SaveTokenizer(tokenizer, dir, modelMaxLength);
    }

    public static void SaveTokenizer(BertTextTokenizer tokenizer, string dir, int? modelMaxLength = null)
    {
        var vocab = Path.Combine(dir, VocabFile);
        if (Path.GetFullPath(tokenizer.VocabPath) != Path.GetFullPath(vocab))
            AtomicFile.WriteAllBytes(vocab, File.ReadAllBytes(tokenizer.VocabPath));
        var config = new JsonObject
        {
            ["tokenizer_class"] = "BertTokenizer",
            ["do_lower_case"] = tokenizer.LowerCase,
            ["strip_accents"] = null,
            ["model_max_length"] = modelMaxLength ?? 512,
            ["cls_token"] = tokenizer.ClsToken, ["sep_token"] = tokenizer.SepToken, ["pad_token"] = tokenizer.PadToken,
            ["mask_token"] = tokenizer.MaskToken, ["unk_token"] = tokenizer.UnkToken,
        };
        AtomicFile.WriteAllText(Path.Combine(dir, TokenizerConfigFile), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>The folder's WordPiece tokenizer; casing from tokenizer_config.json (Hugging Face's default when absent: lower-case).</summary>
    public static BertTextTokenizer LoadTokenizer(string dir)
    {
        var vocab = Path.Combine(dir, VocabFile);
        if (!File.Exists(vocab)) throw new FileNotFoundException($"{vocab}: missing (the model folder has no WordPiece vocabulary)", vocab);
        bool lowerCase = true;
        var configPath = Path.Combine(dir, TokenizerConfigFile);
        if (File.Exists(configPath))
        {
            try
            {
                if (JsonNode.Parse(File.ReadAllText(configPath))?["do_lower_case"] is JsonValue v) lowerCase = v.GetValue<bool>();
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
            {
                throw new InvalidDataException($"{configPath}: not a tokenizer config: {e.Message}", e);
            }
        }
        return BertTextTokenizer.FromVocab(vocab, lowerCase);
    }
}

/// <summary>from_pretrained / save_pretrained for every model of the kit.</summary>
public static class PretrainedExtensions
{
    public static void SavePretrained(this IHuggingFaceModel model, string dir, BertTextTokenizer? tokenizer = null, int? modelMaxLength = null) =>
        Pretrained.Save(model, dir, tokenizer, modelMaxLength);
}
