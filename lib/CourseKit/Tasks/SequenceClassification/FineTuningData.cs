using CourseKit.Data;

namespace CourseKit.Tasks.SequenceClassification;

/// <summary>A labelled text; <see cref="Id"/> is its row in the source file (what split files record).</summary>
public sealed record LabeledText(int Id, string Text, int Label)
{
    /// <summary>A probability per class to train towards instead of the one-hot <see cref="Label"/> (null: one-hot).</summary>
    public float[]? Target { get; init; }
}

/// <summary>The three parts of a classification task, its class names in id order, and the recorded split.</summary>
public sealed record ClassificationData(string Name, IReadOnlyList<string> Labels, IReadOnlyList<LabeledText> Train,
    IReadOnlyList<LabeledText> Validation, IReadOnlyList<LabeledText> Test, DataSplit? Split = null, string? Note = null);

/// <summary>
/// Loads SST-2 or Financial PhraseBank and applies a recorded split (or makes one, seeded and stratified):
/// <list type="bullet">
/// <item>Financial PhraseBank has no official split: train/validation/test = 80/10/10 % of every class.</item>
/// <item>SST-2's GLUE test split has no labels, so validation = GLUE dev and the test set is held out from GLUE train
/// (872 sentences, dev's size, stratified); train = the rest of GLUE train (or a stratified subset).</item>
/// </list>
/// Sizes in the options (TrainSize, ...) turn a part into a stratified subset of that size (± one per class).
/// </summary>
public static class FineTuningData
{
    public static readonly IReadOnlyList<string> Sst2Labels = ["negative", "positive"];
    public static readonly IReadOnlyList<string> PhraseBankLabels = ["negative", "neutral", "positive"];
    public const int Sst2HeldOutTestSize = 872;

    public static ClassificationData Load(FineTuneOptions o) => o.Task switch
    {
        FineTuneTask.Sst2 => LoadSst2(o),
        FineTuneTask.PhraseBank => LoadPhraseBank(o),
        FineTuneTask.Custom => o.CustomData ?? throw new ArgumentException("Task Custom needs CustomData"),
        _ => throw new ArgumentOutOfRangeException(nameof(o), o.Task, "unknown task"),
    };

    public static string AgreementName(PhraseBankAgreement a) => a switch
    {
        PhraseBankAgreement.All => "AllAgree", PhraseBankAgreement.AtLeast75 => "75Agree",
        PhraseBankAgreement.AtLeast66 => "66Agree", PhraseBankAgreement.AtLeast50 => "50Agree",
        _ => throw new ArgumentOutOfRangeException(nameof(a)),
    };

    static ClassificationData LoadPhraseBank(FineTuneOptions o)
    {
        var rows = FinancialPhraseBank.Load(o.Agreement, o.Registry);
        var source = $"financial-phrasebank/{FinancialPhraseBank.FileName(o.Agreement)}";
        var labels = rows.Select(r => (int)r.Label).ToArray();
        var sources = new Dictionary<string, IReadOnlyList<int>> { [source] = labels };
        int n = rows.Count;
        var split = LoadOrMake(o, sources, () =>
        {
            if (o.TestFold is { } fold) return FoldSplit(o, fold, labels, source);
            bool subset = o.TrainSize + o.ValidationSize + o.TestSize > 0;
            (string, double)[] parts = subset
                ? [("train", Fraction(o.TrainSize, 0.8, n)), ("validation", Fraction(o.ValidationSize, 0.1, n)), ("test", Fraction(o.TestSize, 0.1, n))]
                : [("train", 0.8), ("validation", 0.1), ("test", 0.1)];
            return new DataSplit($"financial-phrasebank {AgreementName(o.Agreement)}", SplitSeed(o), "stratified per class, seeded",
                PhraseBankLabels, StratifiedSplit.Split(labels, PhraseBankLabels, SplitSeed(o), source, parts));
        });
        var texts = new Dictionary<string, IReadOnlyList<string>> { [source] = rows.Select(r => r.Sentence).ToArray() };
        var data = Build($"phrasebank-{AgreementName(o.Agreement)}", split, texts, sources, null);
        return o.AgreementTargets ? AgreementTargets.Apply(data, o.Registry) : data;
    }

    /// <summary>Folds of the cross-validation split (<see cref="FineTuneOptions.TestFold"/>): tenths, so that each
    /// fold's train/validation/test sizes are the usual split's 80/10/10 %. Each tenth takes round(n / 10) rows of a
    /// class and the last one the rest, so fold 9 can hold up to 5 rows of a class more or fewer than the others.</summary>
    public const int CrossValidationFolds = 10;

    static DataSplit FoldSplit(FineTuneOptions o, int fold, int[] labels, string source)
    {
        if (fold < 0 || fold >= CrossValidationFolds)
            throw new ArgumentOutOfRangeException(nameof(o), fold, $"test fold {fold} does not exist: the folds are 0 to {CrossValidationFolds - 1}");
        var tenths = StratifiedSplit.Split(labels, PhraseBankLabels, SplitSeed(o), source,
            Enumerable.Range(0, CrossValidationFolds).Select(k => ($"fold{k}", 1.0 / CrossValidationFolds)).ToArray());
        int validation = (fold + 1) % CrossValidationFolds;
        var train = tenths.Where((_, k) => k != fold && k != validation).SelectMany(p => p.Ids).Order().ToArray();
        SplitPart Named(string name, int[] ids, int size)
        {
            var kept = Subset(ids, size, labels, SplitSeed(o), source);
            return new(name, source, kept, StratifiedSplit.CountClasses(kept, labels, PhraseBankLabels));
        }
        return new DataSplit($"financial-phrasebank {AgreementName(o.Agreement)} fold {fold}", SplitSeed(o),
            $"{CrossValidationFolds} stratified folds per class, seeded; test fold {fold}, validation fold {validation}, train the other {CrossValidationFolds - 2}"
            + (o.TrainSize + o.ValidationSize + o.TestSize > 0 ? "; parts cut to the sizes asked for (stratified, seeded)" : ""),
            PhraseBankLabels, [Named("train", train, o.TrainSize), Named("validation", tenths[validation].Ids, o.ValidationSize), Named("test", tenths[fold].Ids, o.TestSize)]);
    }

    /// <summary>A stratified, seeded subset of <paramref name="size"/> of the rows <paramref name="ids"/> (all of them for 0 or more).</summary>
    static int[] Subset(int[] ids, int size, int[] labels, int seed, string source)
    {
        if (size <= 0 || size >= ids.Length) return ids;
        var part = StratifiedSplit.Split(ids.Select(i => labels[i]).ToArray(), PhraseBankLabels, seed, source, ("subset", size / (double)ids.Length))[0];
        return part.Ids.Select(k => ids[k]).Order().ToArray();
    }

    static ClassificationData LoadSst2(FineTuneOptions o)
    {
        var train = Sst2.Load("train", o.Registry);
        var dev = Sst2.Load("dev", o.Registry);
        const string trainSource = "sst2-glue/train.tsv", devSource = "sst2-glue/dev.tsv";
        var trainLabels = train.Select(e => e.Label).ToArray();
        var devLabels = dev.Select(e => e.Label).ToArray();
        var sources = new Dictionary<string, IReadOnlyList<int>> { [trainSource] = trainLabels, [devSource] = devLabels };
        var split = LoadOrMake(o, sources, () =>
        {
            int n = train.Count;
            double testFraction = (o.TestSize > 0 ? o.TestSize : Sst2HeldOutTestSize) / (double)n;
            double trainFraction = o.TrainSize > 0 ? Math.Min(1 - testFraction, o.TrainSize / (double)n) : 1 - testFraction;
            var fromTrain = StratifiedSplit.Split(trainLabels, Sst2Labels, SplitSeed(o), trainSource, ("test", testFraction), ("train", trainFraction));
            var validation = StratifiedSplit.Split(devLabels, Sst2Labels, SplitSeed(o), devSource,
                ("validation", o.ValidationSize > 0 ? Math.Min(1, o.ValidationSize / (double)dev.Count) : 1.0))[0];
            return new DataSplit("sst2-glue", SplitSeed(o), "stratified per class, seeded; test held out from GLUE train (GLUE's test has no labels); validation = GLUE dev",
                Sst2Labels, [fromTrain[1], validation, fromTrain[0]]);
        });
        var texts = new Dictionary<string, IReadOnlyList<string>>
        {
            [trainSource] = train.Select(e => e.Sentence).ToArray(), [devSource] = dev.Select(e => e.Sentence).ToArray(),
        };
        return Build("sst2", split, texts, sources,
            "GLUE's SST-2 test split is unlabelled: the test set here is held out from GLUE train (seeded, stratified); validation is GLUE dev.");
    }

    /// <summary>The split is fixed: it does not move with the training seed (pass SplitSeed to draw another).</summary>
    public const int DefaultSplitSeed = 42;

    static int SplitSeed(FineTuneOptions o) => o.SplitSeed ?? DefaultSplitSeed;

    /// <summary>The validation and test sentences of the default splits (Financial PhraseBank AllAgree and 50Agree,
    /// SST-2's held-out test and GLUE dev) whose data is present: what pretraining must not read.</summary>
    public static IReadOnlySet<string> EvaluationSentences(DataRegistry? registry = null)
    {
        var r = registry ?? DataRegistry.Default;
        var sentences = new HashSet<string>(StringComparer.Ordinal);
        var tasks = new List<FineTuneOptions>();
        if (r.IsAvailable("financial-phrasebank"))
            foreach (var agreement in new[] { PhraseBankAgreement.All, PhraseBankAgreement.AtLeast50 })
                tasks.Add(new FineTuneOptions { Task = FineTuneTask.PhraseBank, Agreement = agreement, Registry = r });
        if (r.IsAvailable("sst2-glue")) tasks.Add(new FineTuneOptions { Task = FineTuneTask.Sst2, Registry = r });
        foreach (var data in tasks.Select(Load))
            sentences.UnionWith(data.Validation.Concat(data.Test).Select(e => e.Text));
        return sentences;
    }

    static double Fraction(int size, double fallback, int n) => size > 0 ? Math.Min(1, size / (double)n) : fallback;

    static DataSplit LoadOrMake(FineTuneOptions o, IReadOnlyDictionary<string, IReadOnlyList<int>> sources, Func<DataSplit> make)
    {
        if (o.SplitFile is null) return make();
        var split = DataSplit.Load(o.SplitFile);
        split.Validate(sources, o.SplitFile);
        return split;
    }

    static ClassificationData Build(string name, DataSplit split, IReadOnlyDictionary<string, IReadOnlyList<string>> texts,
        IReadOnlyDictionary<string, IReadOnlyList<int>> labels, string? note)
    {
        IReadOnlyList<LabeledText> Part(string part)
        {
            var p = split[part];
            return p.Ids.Select(i => new LabeledText(i, texts[p.Source][i], labels[p.Source][i])).ToArray();
        }
        return new ClassificationData(name, split.Labels, Part("train"), Part("validation"), Part("test"), split, note);
    }
}
