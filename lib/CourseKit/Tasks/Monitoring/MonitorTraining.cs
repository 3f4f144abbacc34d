using System.Diagnostics;
using CourseKit.Checkpoints;
using CourseKit.Data;
using CourseKit.Metrics;
using CourseKit.Reporting;
using CourseKit.Tasks.SequenceClassification;
using CourseKit.Tasks.TokenClassification;

namespace CourseKit.Tasks.Monitoring;

/// <summary>
/// Builds a monitor and measures it: fine-tunes the sentiment classifier (chapter 04's <see cref="FineTuning"/>),
/// scores it per agreement level, fits a temperature on validation and measures calibration on test (writing the
/// test probabilities for <see cref="MonitorFolds"/>), runs the
/// detector simulation on held-out sentences, measures out-of-domain AUROC against SST-2 and WikiText, trains or loads
/// a chapter-06 NER model and attributes held-out sentiment to ORG entities; writes model/ and metrics.json.
/// </summary>
public static class MonitorTraining
{
    public const string MetricsFile = "metrics.json", ModelFolder = "model";

    public static MonitorTrainResult Run(MonitorOptions o, CancellationToken cancel = default)
    {
        var clock = Stopwatch.StartNew();
        var stages = new Dictionary<string, double>();
        double Lap(string name) { stages[name] = clock.Elapsed.TotalSeconds - stages.Values.Sum(); return stages[name]; }
        Directory.CreateDirectory(o.OutputDir);
        var encoder = ImportedEncoders.EnsureFolder(o.FineTune.ModelDir);

        var fineTune = o.FineTune with { ModelDir = encoder, OutputDir = Path.Combine(o.OutputDir, "finetune"), Registry = o.Registry ?? o.FineTune.Registry };
        var trained = FineTuning.Run(fineTune, cancel);
        Reporter.Show($"classifier: test accuracy {trained.Test.Accuracy:F3}, macro-F1 {trained.Test.MacroF1:F3} ({Lap("fine_tune"):F0} s)");
        var data = FineTuningData.Load(fineTune with { SplitFile = trained.SplitFile });
        var embedder = o.PretrainedDriftEmbeddings ? Models.SentenceEncoder.Load(encoder, maxLength: fineTune.MaxLength) : null;
        var scorer = SentimentClassifier.From(trained, embedder);
        var validation = Scored(scorer, data.Validation);
        var test = Scored(scorer, data.Test);

        var agreement = AgreementScores(data.Test, test.Logits, o.Registry);
        var calibration = Calibrate(validation, test, data);
        new TestProbabilities(data.Test.Select(e => e.Id).ToArray(), data.Test.Select(e => e.Label).ToArray(),
            TemperatureScaling.Softmax(test.Logits), TemperatureScaling.Softmax(test.Logits, calibration.Temperature))
            .Save(Path.Combine(o.OutputDir, TestProbabilities.FileName));
        double reference = validation.Logits.Count(z => Calibration.Top(z).Predicted == SentimentLabels.Negative) / (double)validation.Logits.Length;
        Lap("calibration");

        // Thresholds from no-change streams of validation sentences; delays and false alarms reported on test sentences.
        var families = DetectorFamilies(o.Settings);
        var (thresholds, detectors) = DetectorCalibration.CalibrateAndEvaluate(
            SimulationPool(data.Validation, validation.Logits), SimulationPool(data.Test, test.Logits), reference, families, o.Simulation);
        double threshold = thresholds.First(t => t.Family == families[0].Name && t.PerDay == o.Simulation.PerDay).Threshold;
        Lap("simulation");

        var (outOfDomain, drift) = MeasureDrift(o, scorer, data, validation, test, calibration.Temperature);
        Lap("drift");

        var (nerDir, nerF1, nerSource) = PrepareNer(o, encoder, cancel);
        var entities = new EntitySentimentAggregator();
        var tagger = nerDir is null ? null : NerEntityTagger.Load(nerDir);
        if (tagger is not null)
        {
            var heldOut = data.Validation.Concat(data.Test).Select(e => e.Text).ToArray();
            var scores = SentimentLabels.Score(validation.Logits.Concat(test.Logits).ToArray(), calibration.Temperature);
            entities.Add(heldOut, scores, tagger);
        }
        Lap("entities");

        var settings = o.Settings with { Temperature = calibration.Temperature, ReferenceNegativeShare = reference, DetectorThreshold = threshold };
        var modelDir = Path.Combine(o.OutputDir, ModelFolder);
        MonitorModel.Save(modelDir, trained.BestModelDir!, nerDir, settings, outOfDomain, fineTune.MaxLength, embedder is null ? null : encoder);
        var result = new MonitorTrainResult
        {
            Profile = o.Profile.Name(), ModelDir = modelDir, Agreement = agreement, Calibration = calibration, ReferenceNegativeShare = reference,
            Thresholds = thresholds, Detectors = detectors, Simulation = o.Simulation, Drift = drift, OutOfDomainThreshold = outOfDomain.Threshold,
            DriftEmbeddings = embedder is null ? "fine-tuned classifier" : $"pretrained {Path.GetFileName(Path.TrimEndingDirectorySeparator(encoder))}",
            NerSource = nerSource, NerEntityF1 = nerF1, Entities = entities.Summary(minCount: 1).Take(30).ToArray(),
            StageSeconds = stages, WallSeconds = clock.Elapsed.TotalSeconds,
            HeldOut = data.Test.Select(e => (e.Text, e.Label)).ToArray(),
            Model = new MonitorModel { Scorer = scorer, Settings = settings, OutOfDomain = outOfDomain, Tagger = tagger },
        };
        AtomicFile.WriteAllText(Path.Combine(o.OutputDir, MetricsFile), result.ToJsonString() + "\n");
        return result;
    }

    /// <summary>The detectors the simulation compares, thresholds left to calibration: the monitor's own first (its
    /// threshold is the one saved), then the others of Page–Hinkley, CUSUM, and a CUSUM tuned to smaller shifts (k is
    /// half the shift in σ it finds fastest).</summary>
    public static IReadOnlyList<DetectorFamily> DetectorFamilies(MonitorSettings s)
    {
        DetectorFamily[] all = [DetectorFamily.PageHinkley(s.DetectorSlack), DetectorFamily.Cusum(s.DetectorSlack), DetectorFamily.Cusum(s.DetectorSlack / 2)];
        return [s.DetectorFamily, .. all.Where(f => f.Name != s.DetectorFamily.Name)];
    }

    /// <summary>Each sentence's gold class and whether the classifier called it negative (argmax: temperature-free).</summary>
    static SimulationSentence[] SimulationPool(IReadOnlyList<LabeledText> part, float[][] logits) =>
        part.Select((e, i) => new SimulationSentence(e.Label, Calibration.Top(logits[i]).Predicted == SentimentLabels.Negative)).ToArray();

    static ScoredTexts Scored(ISentimentScorer scorer, IReadOnlyList<LabeledText> part) => scorer.Score(part.Select(e => e.Text).ToArray());

    static CalibrationSummary Calibrate(ScoredTexts validation, ScoredTexts test, ClassificationData data)
    {
        var validationGold = data.Validation.Select(e => e.Label).ToArray();
        var testGold = data.Test.Select(e => e.Label).ToArray();
        double temperature = TemperatureScaling.Fit(validation.Logits, validationGold);
        var before = TemperatureScaling.Softmax(test.Logits);
        var after = TemperatureScaling.Softmax(test.Logits, temperature);
        return new CalibrationSummary(temperature,
            Calibration.ExpectedCalibrationError(before, testGold), Calibration.ExpectedCalibrationError(after, testGold),
            Calibration.NegativeLogLikelihood(before, testGold), Calibration.NegativeLogLikelihood(after, testGold),
            Calibration.ReliabilityBins(before, testGold), Calibration.ReliabilityBins(after, testGold),
            Calibration.CoverageAccuracy(after, testGold))
        {
            // Where T was fitted: a test ECE that rises while this one falls says the two parts disagree (a small
            // validation part on which the best epoch was also chosen), not that the fit is wrong.
            ValidationEceBefore = Calibration.ExpectedCalibrationError(TemperatureScaling.Softmax(validation.Logits), validationGold),
            ValidationEceAfter = Calibration.ExpectedCalibrationError(TemperatureScaling.Softmax(validation.Logits, temperature), validationGold),
            ValidationAccuracy = Accuracy(validation.Logits, validationGold), TestAccuracy = Accuracy(test.Logits, testGold),
            EceAfterInterval = EceSampling.Interval(after, testGold),
            EceFloorAfter = EceSampling.PerfectCalibrationFloor(after),
        };
    }

    static double Accuracy(float[][] logits, int[] gold) => logits.Where((z, i) => Calibration.Top(z).Predicted == gold[i]).Count() / (double)gold.Length;

    /// <summary>Test accuracy and macro-F1 on all test sentences (50 %) and on those also in the 66 %, 75 % and 100 % files.</summary>
    public static IReadOnlyList<AgreementScore> AgreementScores(IReadOnlyList<LabeledText> test, float[][] logits, DataRegistry? registry)
    {
        var levels = new (string Name, PhraseBankAgreement? File)[]
            { ("50Agree", null), ("66Agree", PhraseBankAgreement.AtLeast66), ("75Agree", PhraseBankAgreement.AtLeast75), ("AllAgree", PhraseBankAgreement.All) };
        var highest = FinancialPhraseBank.HighestAgreement(registry);
        var scores = new List<AgreementScore>();
        foreach (var (name, file) in levels)
        {
            var index = Enumerable.Range(0, test.Count)
                .Where(i => file is not { } f || (highest.TryGetValue(test[i].Text, out var h) && FinancialPhraseBank.IsIn(h, f))).ToArray();
            if (index.Length == 0) continue;
            var report = ClassificationReport.Compute(index.Select(i => test[i].Label).ToArray(),
                index.Select(i => Calibration.Top(logits[i]).Predicted).ToArray(), FineTuningData.PhraseBankLabels);
            scores.Add(new AgreementScore(name, index.Length, report.Accuracy, report.MacroF1));
        }
        return scores;
    }

    static (OutOfDomainReference Reference, IReadOnlyList<DriftScoreAuroc> Rows) MeasureDrift(MonitorOptions o, ISentimentScorer scorer,
        ClassificationData data, ScoredTexts validation, ScoredTexts test, double temperature)
    {
        var train = Shuffled(data.Train.Select(e => e.Text), o.Seed).Take(o.DriftReferenceSize).ToArray();
        var reference = new OutOfDomainReference(scorer.Score(train).Embeddings);
        reference = new OutOfDomainReference(reference.Embeddings,
            OutOfDomainReference.Percentile(reference.Novelty(validation.Embeddings), o.OutOfDomainQuantile));
        var inDomain = (test.Embeddings, SentimentLabels.Score(test.Logits, temperature));
        var rows = new List<DriftScoreAuroc>();
        foreach (var (name, texts) in ForeignSentences(o))
        {
            var scored = scorer.Score(texts);
            rows.Add(DriftEvaluation.Compare(name, reference, inDomain, (scored.Embeddings, SentimentLabels.Score(scored.Logits, temperature))));
        }
        return (reference, rows);
    }

    /// <summary>Movie reviews (SST-2 dev) and encyclopaedia sentences (WikiText-2 test), a seeded sample of each.</summary>
    public static IEnumerable<(string Name, string[] Texts)> ForeignSentences(MonitorOptions o)
    {
        var registry = o.Registry ?? DataRegistry.Default;
        yield return ("SST-2", Shuffled(Sst2.Load("dev", registry).Select(e => e.Sentence), o.Seed).Take(o.ForeignSize).ToArray());
        yield return ("WikiText-2", Shuffled(WikiTextSentences(TextCorpora.WikiText2Lines("test", registry)), o.Seed).Take(o.ForeignSize).ToArray());
    }

    /// <summary>Sentences of 8-60 words from WikiText paragraphs (headings skipped, its " @-@ " style tokens joined back).</summary>
    public static IEnumerable<string> WikiTextSentences(IEnumerable<string> lines) =>
        lines.Where(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('='))
            .SelectMany(l => TextCorpora.JoinWikiTextMarkers(l).Split(" . ", StringSplitOptions.TrimEntries))
            .Where(s => s.Split(' ').Length is >= 8 and <= 60 && !s.Contains("<unk>"))
            .Select(s => s.EndsWith('.') ? s : s + " .");

    static IEnumerable<T> Shuffled<T>(IEnumerable<T> items, int seed)
    {
        var array = items.ToArray();
        new Random(seed).Shuffle(array);
        return array;
    }

    /// <summary>The NER folder to use: the one given, or a chapter-06 run on a CoNLL-2003 subset (its model/).</summary>
    static (string? Dir, double? EntityF1, string? Source) PrepareNer(MonitorOptions o, string encoder, CancellationToken cancel)
    {
        if (!o.Entities) return (null, null, null);
        if (o.NerModelDir is { } given) return (given, null, $"given: {given}");
        var ner = NerReproduction.Run(o.NerOptions(encoder), cancel);
        return (Path.Combine(ner.OutputDir, NerReproduction.ModelFolder), ner.Test.Reports.Entity.Overall.Scores.F1,
            $"CoNLL-2003 subset ({o.NerTrainSize} training sentences, {o.NerEpochs} epochs, {o.NerTestSize} test sentences), all-MiniLM-L6-v2");
    }
}
