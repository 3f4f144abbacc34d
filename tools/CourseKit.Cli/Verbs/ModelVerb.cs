using System.CommandLine;
using System.Globalization;
using CourseKit.Checkpoints;
using CourseKit.Models;
using CourseKit.Native;

namespace CourseKit.Cli.Verbs;

/// <summary><c>course model info | encode</c>: look inside a Hugging Face model folder (config.json +
/// model.safetensors [+ vocab.txt]) and run BERT on one input, printing numbers another implementation can compare.
/// The work is <see cref="ModelInspection"/>'s; this binds the arguments and prints.</summary>
public static class ModelVerb
{
    public static Command Create()
    {
        var cmd = new Command("model", "Inspect a Hugging Face model folder and run BERT on one input.");
        cmd.Subcommands.Add(CreateInfo());
        cmd.Subcommands.Add(CreateEncode());
        foreach (var sub in ModelImportCommands.Create()) cmd.Subcommands.Add(sub);   // import, import-onnx, list, embed
        foreach (var sub in ModelExportCommands.Create()) cmd.Subcommands.Add(sub);   // export-onnx
        return cmd;
    }

    static Argument<string> DirArgument() => new("dir") { Description = "Model folder: config.json and model.safetensors (vocab.txt for --text)." };

    static Option<string?> JsonOption(string what) => new("--json") { Description = $"Also write {what} to this JSON file." };

    static Command CreateInfo()
    {
        var dir = DirArgument();
        var json = JsonOption("the summary");
        var cmd = new Command("info", "Config, parameter counts by module, safetensors summary, load report and task heads present.");
        cmd.Arguments.Add(dir);
        cmd.Options.Add(json);
        cmd.SetAction(parse => Run(parse, out_ =>
        {
            var folder = ModelFolder.Open(parse.GetValue(dir)!);
            TorchRuntime.Initialize();
            var info = ModelInspection.Inspect(folder);
            info.WriteText(out_);
            WriteJson(out_, parse.GetValue(json), info.ToJson);
            return 0;
        }));
        return cmd;
    }

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
            var folder = ModelFolder.Open(parse.GetValue(dir)!);
            if (folder.ModelType != "bert")
                throw new ArgumentException($"{folder.ConfigPath}: model_type is '{folder.ModelType}'; 'course model encode' runs BERT models only");
            var (givenText, givenIds, givenTypes) = (parse.GetValue(text), parse.GetValue(ids), parse.GetValue(types));
            if ((givenText is null) == (givenIds is null)) throw new ArgumentException("give exactly one of --text \"...\" or --ids 101,8667,102");
            if (givenText is not null && givenTypes is not null) throw new ArgumentException("--token-type-ids goes with --ids (--text makes its own)");
            if (givenText is not null && !folder.HasVocab)
                throw new FileNotFoundException($"{folder.VocabPath}: missing, so --text cannot be tokenized (the folder has no WordPiece vocabulary); pass --ids instead", folder.VocabPath);

            TorchRuntime.Initialize();
            var encoding = givenText is not null
                ? ModelInspection.EncodeText(folder, givenText)
                : ModelInspection.Encode(folder, ParseIds(givenIds!, "--ids"), givenTypes is null ? null : ParseIds(givenTypes, "--token-type-ids"));
            encoding.WriteText(out_);
            WriteJson(out_, parse.GetValue(json), encoding.ToJson);
            return 0;
        }));
        return cmd;
    }

    static void WriteJson(TextWriter out_, string? path, Func<string> content)
    {
        if (path is null) return;
        VerbActions.WriteJsonFile(path, content());
        out_.WriteLine($"wrote {path}");
    }

    static long[] ParseIds(string text, string option)
    {
        var parts = text.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new ArgumentException($"{option}: no ids given");
        return parts.Select(p => long.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= 0
            ? v
            : throw new ArgumentException($"{option}: '{p}' is not a token id (a non-negative integer)")).ToArray();
    }

    /// <summary>The library names its arguments; the CLI's user typed these flags.</summary>
    static readonly Dictionary<string, string> FlagOf = new() { ["inputIds"] = "--ids", ["tokenTypeIds"] = "--token-type-ids" };

    /// <summary>Runs the verb body; bad input prints one 'error:' line naming the file and exits 1.</summary>
    static int Run(ParseResult parse, Func<TextWriter, int> body) => VerbActions.Run(parse, body,
        (ex, message) => ex is ArgumentException { ParamName: { } param } && FlagOf.TryGetValue(param, out var flag) && message.StartsWith(param, StringComparison.Ordinal)
            ? flag + message[param.Length..]
            : message);
}
