using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Tokenizers;

namespace CourseKit.Tasks.Pretraining;

/// <summary>
/// tiktoken's cl100k_base (GPT-3.5/4's byte-level BPE, from Microsoft.ML.Tokenizers.Data.Cl100kBase) restricted to the
/// tokens a training text actually uses. cl100k has 100,256 tokens; a small CPU model cannot afford a 100k × d
/// embedding when Tiny Shakespeare uses about 11k of them, so compact ids 1..N stand for the cl100k ids seen (in
/// increasing cl100k order) and id 0 for any token the training text never had. Encoding is cl100k's, unchanged;
/// decoding maps back to cl100k ids. Saved beside the model as <c>vocab_map.json</c>.
/// </summary>
public sealed class CompactVocabulary
{
    public const string FileName = "vocab_map.json", BaseEncoding = "cl100k_base", UnknownText = "<|unk|>";
    public const int UnknownId = 0;

    static readonly Lazy<TiktokenTokenizer> Cl100k = new(() => TiktokenTokenizer.CreateForEncoding(BaseEncoding));

    readonly int[] _baseIds;                       // compact id → cl100k id (index 0 unused: the unknown token)
    readonly Dictionary<int, int> _compactIds;     // cl100k id → compact id

    CompactVocabulary(int[] baseIds)
    {
        _baseIds = baseIds;
        _compactIds = new Dictionary<int, int>(baseIds.Length);
        for (int i = 1; i < baseIds.Length; i++) _compactIds[baseIds[i]] = i;
    }

    /// <summary>The cl100k_base tokenizer underneath.</summary>
    public static Tokenizer Base => Cl100k.Value;

    /// <summary>Compact vocabulary size, the unknown token included: the model's vocab_size.</summary>
    public int Size => _baseIds.Length;

    /// <summary>The cl100k id behind a compact id (-1 for the unknown token).</summary>
    public int BaseId(int compactId) => compactId == UnknownId ? -1 : _baseIds[compactId];

    /// <summary>A vocabulary of the cl100k tokens that occur in <paramref name="text"/>.</summary>
    public static CompactVocabulary Build(string text)
    {
        var seen = Base.EncodeToIds(text).Distinct().Order().ToList();
        return new CompactVocabulary([-1, .. seen]);
    }

    public int[] Encode(string text) =>
        Base.EncodeToIds(text).Select(id => _compactIds.TryGetValue(id, out var c) ? c : UnknownId).ToArray();

    public string Decode(IEnumerable<int> ids)
    {
        var text = new StringBuilder();
        var run = new List<int>();
        foreach (var id in ids)
        {
            if ((uint)id >= (uint)Size) throw new ArgumentOutOfRangeException(nameof(ids), $"id {id} is outside the compact vocabulary (size {Size})");
            if (id != UnknownId) { run.Add(_baseIds[id]); continue; }
            text.Append(Base.Decode(run)).Append(UnknownText);
            run.Clear();
        }
        return text.Append(Base.Decode(run)).ToString();
    }

    public void Save(string path)
    {
        var json = new JsonObject
        {
            ["base_encoding"] = BaseEncoding,
            ["unknown_id"] = UnknownId,
            ["vocab_size"] = Size,
            ["base_ids"] = new JsonArray(_baseIds.Skip(1).Select(i => (JsonNode)i).ToArray()),
        };
        Checkpoints.AtomicFile.WriteAllText(path, json.ToJsonString() + "\n");
    }

    public static CompactVocabulary Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: missing (a GPT model folder of the course has vocab_map.json)", path);
        try
        {
            var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            var encoding = json["base_encoding"]!.GetValue<string>();
            if (encoding != BaseEncoding) throw new InvalidDataException($"{path}: base_encoding is '{encoding}', expected '{BaseEncoding}'");
            var ids = json["base_ids"]!.AsArray().Select(n => n!.GetValue<int>()).ToArray();
            if (ids.Distinct().Count() != ids.Length) throw new InvalidDataException($"{path}: base_ids has repeated ids");
            if (json["vocab_size"]?.GetValue<int>() is { } size && size != ids.Length + 1)
                throw new InvalidDataException($"{path}: vocab_size {size} but {ids.Length} base ids (+1 unknown)");
            return new CompactVocabulary([-1, .. ids]);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException or FormatException)
        {
            throw new InvalidDataException($"{path}: not a vocabulary map: {e.Message}", e);
        }
    }
}
