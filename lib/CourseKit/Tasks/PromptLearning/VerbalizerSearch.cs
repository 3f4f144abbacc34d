using CourseKit.Tasks.SequenceClassification;

namespace CourseKit.Tasks.PromptLearning;

/// <summary>Per example, log-probabilities over the vocabulary at [MASK] (rows of length V), and its label.</summary>
public sealed record LabelledLogProbs(IReadOnlyList<float[]> LogProbs, IReadOnlyList<int> Labels)
{
    public LabelledLogProbs Validate() => LogProbs.Count == Labels.Count ? this
        : throw new ArgumentException($"{LogProbs.Count} rows of log-probabilities for {Labels.Count} labels");
}

/// <summary>The verbalizer a search chose: its words (label order), and how it read the examples it was chosen on.</summary>
public sealed record VerbalizerChoice(IReadOnlyList<int> TokenIds, double Accuracy, double MeanMargin);

/// <summary>
/// Automatic label words. LM-BFF (Gao et al. 2021, §5.1) shortlists, for each label, the words the masked LM finds
/// likeliest at [MASK] over that label's training examples; on a small model that shortlist is function words ("his",
/// "which": likely after any sentence). So the kit keeps LM-BFF's pool (the label's <see cref="PoolSize"/> likeliest
/// whole words) but ranks it by PETAL's likelihood ratio (Schick et al. 2020): the word's mean log-probability on
/// the label's examples minus its mean on all examples, which a generic word does not gain. Of the combinations with a
/// distinct word per label, the one that reads the few-shot validation examples best wins: highest accuracy, ties
/// broken by the mean log-probability margin of the right label's word over the best other. LM-BFF re-ranks its top
/// combinations by fine-tuning each; the kit stops at the zero-shot reading. With K examples per class the choice can
/// still fit the draw: compare it with the manual words over seeds.
/// </summary>
public static class VerbalizerSearch
{
    /// <summary>How many of a label's likeliest words the likelihood ratio ranks (rarer words are never label words).</summary>
    public const int PoolSize = 200;

    /// <summary>Whole-word vocabulary entries a label word can be: letters only, at least 3 of them (no "##" pieces,
    /// punctuation, numbers or [unused] slots). Ids are line numbers of the vocab file.</summary>
    public static IReadOnlyList<int> CandidateIds(string vocabPath) => CandidateIds(File.ReadAllLines(vocabPath));

    /// <summary>The same over a vocabulary already read (entry i has id i).</summary>
    public static IReadOnlyList<int> CandidateIds(IReadOnlyList<string> vocabulary) =>
        vocabulary.Select((token, id) => (token, id))
            .Where(t => t.token.Length >= 3 && t.token.All(char.IsAsciiLetter)).Select(t => t.id).ToArray();

    /// <param name="train">Per training example, log-probabilities over the vocabulary at [MASK] (rows of length V) and
    /// its label in [0, classes): where each label's shortlist comes from.</param>
    /// <param name="validation">The same for the examples the combinations are read on (the training ones again when
    /// there are none).</param>
    public static VerbalizerChoice Choose(LabelledLogProbs train, LabelledLogProbs validation, int classes, IReadOnlyList<int> candidates, int perClass)
    {
        if (perClass < 1) throw new ArgumentOutOfRangeException(nameof(perClass), perClass, "at least one candidate per label");
        if (train.Validate().Labels.Count == 0) throw new ArgumentException("no training examples to choose the label words from");
        var meanOverAll = MeanLogProbs(train, Enumerable.Range(0, train.Labels.Count).ToArray(), candidates);
        var shortlist = Enumerable.Range(0, classes).Select(c => Shortlist(train, c, candidates, meanOverAll, perClass)).ToArray();
        var readOn = validation.Validate().Labels.Count > 0 ? validation : train;
        VerbalizerChoice? best = null;
        foreach (var words in Combinations(shortlist))
        {
            var choice = Read(readOn, words);
            if (best is null || (choice.Accuracy, choice.MeanMargin).CompareTo((best.Accuracy, best.MeanMargin)) > 0) best = choice;
        }
        return best ?? throw new ArgumentException($"no combination of distinct words: give more than {perClass} candidates per label");
    }

    /// <summary>The search on a cloze classifier's own model and template: shortlists from <paramref name="train"/>,
    /// the combination read on <paramref name="validation"/>.</summary>
    public static (Verbalizer Verbalizer, VerbalizerChoice Choice) Search(ClozeClassifier cloze, IReadOnlyList<LabeledText> train,
        IReadOnlyList<LabeledText> validation, int classes, int perClass)
    {
        LabelledLogProbs Read(IReadOnlyList<LabeledText> examples) =>
            new(cloze.VocabularyLogProbs(examples.Select(e => e.Text).ToArray()), examples.Select(e => e.Label).ToArray());
        var vocabulary = File.ReadAllLines(cloze.Tokenizer.VocabPath);
        var choice = Choose(Read(train), Read(validation), classes, CandidateIds(vocabulary), perClass);
        return (Verbalizer.Create(cloze.Tokenizer, choice.TokenIds.Select(id => vocabulary[id]).ToArray()), choice);
    }

    /// <param name="meanOverAll">Per candidate (same order), its mean log-probability over all training examples.</param>
    static int[] Shortlist(LabelledLogProbs train, int label, IReadOnlyList<int> candidates, double[] meanOverAll, int perClass)
    {
        var rows = Enumerable.Range(0, train.Labels.Count).Where(i => train.Labels[i] == label).ToArray();
        if (rows.Length == 0) throw new ArgumentException($"label {label} has no training examples to choose its word from");
        var meanOverLabel = MeanLogProbs(train, rows, candidates);
        var order = Enumerable.Range(0, candidates.Count);                   // positions in candidates
        return order.OrderByDescending(j => meanOverLabel[j]).ThenBy(j => candidates[j]).Take(PoolSize)
            .OrderByDescending(j => meanOverLabel[j] - meanOverAll[j]).ThenBy(j => candidates[j]).Take(perClass)
            .Select(j => candidates[j]).ToArray();
    }

    /// <summary>Per candidate, its mean log-probability over the given example rows.</summary>
    static double[] MeanLogProbs(LabelledLogProbs train, int[] rows, IReadOnlyList<int> candidates) =>
        candidates.Select(v => rows.Average(i => (double)train.LogProbs[i][v])).ToArray();

    static IEnumerable<int[]> Combinations(int[][] shortlist)
    {
        IEnumerable<int[]> partial = [[]];
        foreach (var options in shortlist)
            partial = partial.SelectMany(words => options.Where(w => !words.Contains(w)).Select(w => (int[])[.. words, w]));
        return partial;
    }

    static VerbalizerChoice Read(LabelledLogProbs examples, int[] words)
    {
        var (logProbs, labels) = (examples.LogProbs, examples.Labels);
        int right = 0;
        double margins = 0;
        for (int i = 0; i < labels.Count; i++)
        {
            double own = logProbs[i][words[labels[i]]];
            double other = words.Where((_, c) => c != labels[i]).Max(w => (double)logProbs[i][w]);
            if (own > other) right++;
            margins += own - other;
        }
        return new VerbalizerChoice(words, right / (double)labels.Count, margins / labels.Count);
    }
}
