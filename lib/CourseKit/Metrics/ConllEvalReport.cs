using System.Text;

namespace CourseKit.Metrics;

/// <summary>Entity (chunk) counts of one type: gold chunks, predicted chunks and correct chunks (same type, start and end).</summary>
public sealed record ChunkCounts(long Gold, long Predicted, long Correct)
{
    /// <summary>Precision, recall, F1 as fractions (0 for empty denominators); support = gold chunks.</summary>
    public ClassScores Scores => ClassScores.FromCounts(Correct, Predicted, Gold);
}

/// <summary>
/// Entity-level evaluation exactly as conlleval (Tjong Kim Sang's conlleval.pl, version 2004-01-26) computes it: chunks
/// found with its startOfChunk/endOfChunk rules (so an I-X after O or after another type starts a chunk, as in IOB1),
/// a predicted chunk correct only when its type, start and end all match a gold chunk; sentence boundaries end chunks.
/// Tags are split like conlleval's <c>/^([^-]*)-(.*)$/</c>: prefix before the first '-', type after it.
/// </summary>
public sealed class ConllEvalReport
{
    ConllEvalReport(long tokens, long correctTags, IReadOnlyDictionary<string, ChunkCounts> perType)
    {
        Tokens = tokens;
        CorrectTags = correctTags;
        PerType = perType;
        Types = perType.Keys.OrderBy(t => t, StringComparer.Ordinal).ToArray();
        Overall = new ChunkCounts(perType.Values.Sum(c => c.Gold), perType.Values.Sum(c => c.Predicted), perType.Values.Sum(c => c.Correct));
    }

    public long Tokens { get; }
    /// <summary>Tokens whose predicted tag equals the gold tag.</summary>
    public long CorrectTags { get; }
    /// <summary>CorrectTags / Tokens (0 with no tokens): conlleval's "accuracy".</summary>
    public double Accuracy => Tokens == 0 ? 0.0 : (double)CorrectTags / Tokens;
    /// <summary>Entity types seen in gold or predictions, sorted as conlleval prints them.</summary>
    public IReadOnlyList<string> Types { get; }
    public IReadOnlyDictionary<string, ChunkCounts> PerType { get; }
    public ChunkCounts Overall { get; }

    public static ConllEvalReport Compute(IReadOnlyList<IReadOnlyList<string>> goldSentences, IReadOnlyList<IReadOnlyList<string>> predictedSentences)
    {
        TokenClassificationReport.Flatten(goldSentences, predictedSentences); // checks the shapes
        var state = new Counter();
        for (int s = 0; s < goldSentences.Count; s++)
        {
            for (int i = 0; i < goldSentences[s].Count; i++) state.Token(goldSentences[s][i], predictedSentences[s][i], boundary: false);
            state.Token("O", "O", boundary: true); // conlleval reads a blank line as (-X-, O, O)
        }
        state.Finish();
        var types = state.FoundCorrect.Keys.Union(state.FoundGuessed.Keys);
        var perType = types.ToDictionary(t => t, t => new ChunkCounts(
            state.FoundCorrect.GetValueOrDefault(t), state.FoundGuessed.GetValueOrDefault(t), state.CorrectChunk.GetValueOrDefault(t)), StringComparer.Ordinal);
        return new ConllEvalReport(state.TokenCounter, state.CorrectTags, perType);
    }

    /// <summary>conlleval's text output, digit for digit (percentages computed as conlleval computes them).</summary>
    public string Format()
    {
        var sb = new StringBuilder();
        sb.Append($"processed {Tokens} tokens with {Overall.Gold} phrases; found: {Overall.Predicted} phrases; correct: {Overall.Correct}.\n");
        if (Tokens > 0)
        {
            var (p, r, f) = Percentages(Overall);
            sb.Append($"accuracy: {P6(100.0 * CorrectTags / Tokens)}%; precision: {P6(p)}%; recall: {P6(r)}%; FB1: {P6(f)}\n");
        }
        foreach (var type in Types)
        {
            var c = PerType[type];
            var (p, r, f) = Percentages(c);
            sb.Append(type.PadLeft(17)).Append(": ")
              .Append($"precision: {P6(p)}%; recall: {P6(r)}%; FB1: {P6(f)}  {c.Predicted}\n");
        }
        return sb.ToString();
    }

    static (double P, double R, double F) Percentages(ChunkCounts c)
    {
        double p = c.Predicted > 0 ? 100.0 * c.Correct / c.Predicted : 0.0;
        double r = c.Gold > 0 ? 100.0 * c.Correct / c.Gold : 0.0;
        double f = p + r > 0 ? 2 * p * r / (p + r) : 0.0;
        return (p, r, f);
    }

    static string P6(double v) => PythonFormat.Fixed(v, 2).PadLeft(6);

    /// <summary>conlleval's main loop, variable for variable.</summary>
    sealed class Counter
    {
        public readonly Dictionary<string, long> CorrectChunk = new(StringComparer.Ordinal);
        public readonly Dictionary<string, long> FoundCorrect = new(StringComparer.Ordinal);
        public readonly Dictionary<string, long> FoundGuessed = new(StringComparer.Ordinal);
        public long CorrectTags, TokenCounter;
        bool _inCorrect;
        string _lastCorrect = "O", _lastGuessed = "O", _lastCorrectType = "", _lastGuessedType = "";

        public void Token(string goldTag, string guessedTag, bool boundary)
        {
            var (correct, correctType) = SplitTag(goldTag);
            var (guessed, guessedType) = SplitTag(guessedTag);
            if (boundary) guessed = "O";

            if (_inCorrect)
            {
                bool endCorrect = EndOfChunk(_lastCorrect, correct, _lastCorrectType, correctType);
                bool endGuessed = EndOfChunk(_lastGuessed, guessed, _lastGuessedType, guessedType);
                if (endCorrect && endGuessed && _lastGuessedType == _lastCorrectType)
                {
                    _inCorrect = false;
                    Increment(CorrectChunk, _lastCorrectType);
                }
                else if (endCorrect != endGuessed || guessedType != correctType)
                    _inCorrect = false;
            }

            bool startCorrect = StartOfChunk(_lastCorrect, correct, _lastCorrectType, correctType);
            bool startGuessed = StartOfChunk(_lastGuessed, guessed, _lastGuessedType, guessedType);
            if (startCorrect && startGuessed && guessedType == correctType) _inCorrect = true;
            if (startCorrect) Increment(FoundCorrect, correctType);
            if (startGuessed) Increment(FoundGuessed, guessedType);
            if (!boundary)
            {
                if (correct == guessed && guessedType == correctType) CorrectTags++;
                TokenCounter++;
            }

            _lastGuessed = guessed;
            _lastCorrect = correct;
            _lastGuessedType = guessedType;
            _lastCorrectType = correctType;
        }

        public void Finish()
        {
            if (_inCorrect) Increment(CorrectChunk, _lastCorrectType);
            _inCorrect = false;
        }

        static void Increment(Dictionary<string, long> d, string key) => d[key] = d.GetValueOrDefault(key) + 1;
    }

    static (string Tag, string Type) SplitTag(string tag)
    {
        int dash = tag.IndexOf('-');
        if (dash < 0) return (tag, "");
        var type = tag[(dash + 1)..];
        return (tag[..dash], type == "0" ? "" : type); // Perl: "$type ? $type : ''" treats "0" as false
    }

    static bool EndOfChunk(string prevTag, string tag, string prevType, string type) =>
        prevTag == "B" && tag == "B" || prevTag == "B" && tag == "O" || prevTag == "I" && tag == "B" || prevTag == "I" && tag == "O"
        || prevTag == "E" && tag == "E" || prevTag == "E" && tag == "I" || prevTag == "E" && tag == "O"
        || prevTag != "O" && prevTag != "." && prevType != type
        || prevTag == "]" || prevTag == "[";

    static bool StartOfChunk(string prevTag, string tag, string prevType, string type) =>
        prevTag == "B" && tag == "B" || prevTag == "I" && tag == "B" || prevTag == "O" && tag == "B" || prevTag == "O" && tag == "I"
        || prevTag == "E" && tag == "E" || prevTag == "E" && tag == "I" || prevTag == "O" && tag == "E"
        || tag != "O" && tag != "." && prevType != type
        || tag == "[" || tag == "]";
}
