using System.Text;
using System.Text.Json;

namespace CourseKit.Metrics;

/// <summary>Both NER evaluations of one set of predictions: the token-level classification report (the article's
/// table) and conlleval's entity-level scores, plus the confusion matrix.</summary>
public sealed class NerEvaluation
{
    NerEvaluation(TokenClassificationReport token, ConllEvalReport entity, ConfusionMatrix confusion)
    {
        Token = token;
        Entity = entity;
        Confusion = confusion;
    }

    public TokenClassificationReport Token { get; }
    public ConllEvalReport Entity { get; }
    public ConfusionMatrix Confusion { get; }

    public static NerEvaluation Compute(IReadOnlyList<IReadOnlyList<string>> goldSentences, IReadOnlyList<IReadOnlyList<string>> predictedSentences) =>
        new(TokenClassificationReport.Compute(goldSentences, predictedSentences),
            ConllEvalReport.Compute(goldSentences, predictedSentences),
            ConfusionMatrix.Compute(goldSentences, predictedSentences));

    public static NerEvaluation Compute(IReadOnlyList<TaggedSentence> sentences) =>
        Compute(sentences.Select(s => s.Gold).ToArray(), sentences.Select(s => s.Predicted).ToArray());

    /// <summary>Evaluates a file in conlleval's input format (see <see cref="ConllevalFile"/>).</summary>
    public static NerEvaluation FromFile(string path) => Compute(ConllevalFile.Read(path));

    /// <summary>The token report (article layout, or scikit-learn's with <paramref name="sklearnLayout"/>) and conlleval's output.</summary>
    public string Format(int digits = 3, bool sklearnLayout = false) =>
        "Token-level classification report (word tags):\n\n" +
        (sklearnLayout ? Token.FormatSklearn(digits) : Token.Format(digits)) +
        "\nEntity-level scores (conlleval):\n\n" + Entity.Format();

    /// <summary>
    /// <c>{"token": {"&lt;tag&gt;" | "micro avg" | "macro avg" | "weighted avg": {precision, recall, f1, support}},
    /// "entity": {"overall" | "&lt;type&gt;": {precision, recall, f1, support}}}</c>, unrounded; entity support = gold entities.
    /// </summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartObject("token");
            foreach (var label in Token.GroupedLabels) Write(w, label, Token.PerLabel[label]);
            Write(w, "micro avg", Token.MicroAverage);
            Write(w, "macro avg", Token.MacroAverage);
            Write(w, "weighted avg", Token.WeightedAverage);
            w.WriteEndObject();
            w.WriteStartObject("entity");
            Write(w, "overall", Entity.Overall.Scores);
            foreach (var type in Entity.Types) Write(w, type, Entity.PerType[type].Scores);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    static void Write(Utf8JsonWriter w, string name, ClassScores s)
    {
        w.WriteStartObject(name);
        w.WriteNumber("precision", s.Precision);
        w.WriteNumber("recall", s.Recall);
        w.WriteNumber("f1", s.F1);
        w.WriteNumber("support", s.Support);
        w.WriteEndObject();
    }
}
