namespace CourseKit.Models;

/// <summary>Which task heads a checkpoint carries, told by Hugging Face's tensor names: a folder saved from
/// BertForMaskedLM has cls.predictions.*, one from BertForSequenceClassification has classifier.*, and so on.</summary>
public static class TaskHeads
{
    static readonly Dictionary<string, string> Labels = new()
    {
        ["pooler"] = "pooler", ["mlm"] = "MLM (cls.predictions)", ["nsp"] = "next-sentence (cls.seq_relationship)",
        ["classifier"] = "classifier", ["qa_outputs"] = "qa_outputs", ["lm_head"] = "LM head (tied to wte)",
    };

    /// <summary>Head name → present, for the heads a model of <paramref name="modelType"/> can have.</summary>
    public static Dictionary<string, bool> Detect(string modelType, IReadOnlySet<string> tensorNames)
    {
        bool Any(string prefix) => tensorNames.Any(n => n.StartsWith(prefix, StringComparison.Ordinal));
        if (modelType == "gpt2")
            return new() { ["lm_head"] = tensorNames.Contains("lm_head.weight") || Any("transformer.wte.") || Any("wte.") };
        return new()
        {
            ["pooler"] = HasPooler(tensorNames),
            ["mlm"] = Any("cls.predictions."),
            ["nsp"] = Any("cls.seq_relationship."),
            ["classifier"] = Any("classifier."),
            ["qa_outputs"] = Any("qa_outputs."),
        };
    }

    /// <summary>A BERT checkpoint's pooler, saved bare (BertModel) or under a task model's "bert." prefix.</summary>
    public static bool HasPooler(IEnumerable<string> tensorNames) =>
        tensorNames.Any(n => n.StartsWith("pooler.", StringComparison.Ordinal) || n.StartsWith("bert.pooler.", StringComparison.Ordinal));

    /// <summary>"present: …; absent: …" in words.</summary>
    public static string Describe(IReadOnlyDictionary<string, bool> heads)
    {
        var present = heads.Where(h => h.Value).Select(h => Labels[h.Key]).ToList();
        var absent = heads.Where(h => !h.Value).Select(h => Labels[h.Key]).ToList();
        return (present.Count > 0 ? "present: " + string.Join(", ", present) : "present: none (base model weights only)")
             + (absent.Count > 0 ? "; absent: " + string.Join(", ", absent) : "");
    }
}
