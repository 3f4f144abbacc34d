using System.Diagnostics;
using CourseKit.Metrics;
using static TorchSharp.torch;

namespace CourseKit.Tasks.Recommendation;

/// <summary>One model's row: the settings chosen on validation, its validation NDCG@10, test figures on all users and
/// on the cold slice, and its fitting time: wall seconds of the search for the baselines; for the Transformers their
/// training seconds (validation checks excluded, summed over resumed runs) and sequences/s.</summary>
public sealed record ModelResult(string Model, string Settings, double ValidationNdcg10, RankingResult Test, RankingResult Cold,
    double FitSeconds, double? SequencesPerSecond);

/// <summary>Fits and evaluates the requested models under <see cref="RecommenderEvaluation.Protocol"/>.</summary>
public sealed class RecommendationExperiment : IDisposable
{
    public MovieLensData Data { get; }
    public LeaveOneOutSplit Split { get; }
    public RecommendationOptions Options { get; }
    public IReadOnlyList<int> ColdUsers { get; }
    readonly Action<string>? _log;
    Tensor? _textVectors;
    readonly List<IRecommender> _fitted = [];

    public RecommendationExperiment(MovieLensData data, RecommendationOptions options, Action<string>? log = null)
    {
        (Data, Options, _log) = (data, options, log);
        Split = LeaveOneOutSplit.From(data);
        ColdUsers = Split.ColdTestUsers(options.ColdMaxInteractions);
    }

    public IReadOnlyList<IRecommender> Fitted => _fitted;

    /// <summary>The text vectors [N+1, D] (computed once, cached under artifacts/cache/text-embeddings).</summary>
    public Tensor TextVectors => _textVectors ??= TextItemEmbeddings.Compute(Data, Split,
        Options.EncoderDir ?? TextItemEmbeddings.ImportMiniLm(),
        Path.Combine(CoursePaths.Artifacts, "cache", "text-embeddings"));

    /// <summary>Fits one model, tuned on the validation item; also kept in <see cref="Fitted"/>.</summary>
    public (IRecommender Model, double ValidationNdcg10, double Seconds) Fit(string name)
    {
        var clock = Stopwatch.StartNew();
        IRecommender model = name switch
        {
            "popularity" => new PopularityRecommender(Split),
            "itemknn" => Best(Options.KnnWindows.Select(w => (Func<IRecommender>)(() => new ItemKnnRecommender(Split, w)))),
            "mf" => Best(Options.MfRegularisation.Select(r => (Func<IRecommender>)(() =>
                BprRecommender.Fit(Split, Options.MfDimensions, r, Options.MfEpochs, Options.MfLearningRate, Options.Seed)))),
            "text" => Best(Options.TextDecays.Select(d => (Func<IRecommender>)(() => new TextContentRecommender(TextVectors, d)))),
            "sasrec" => FitSequence(new SasRecRecommender(Split, Options.Sequence), name),
            "bert4rec" => FitSequence(new Bert4RecRecommender(Split, Options.Sequence), name),
            "hybrid" => FitSequence(new HybridSasRecRecommender(Split, Options.Sequence, TextVectors), name),
            _ => throw new ArgumentException($"Unknown model '{name}'; known: {string.Join(", ", RecommendationOptions.AllModels)}.", nameof(name)),
        };
        var validation = RecommenderEvaluation.ValidationNdcg10(model, Split);
        _fitted.Add(model);
        // A sequence model resumed from its checkpoint took its training time in earlier runs: report that sum.
        double seconds = model is SequenceRecommender { Summary: { } fit } ? fit.TrainSeconds : clock.Elapsed.TotalSeconds;
        _log?.Invoke($"{model.Name}: {model.Settings}, validation NDCG@10 {validation:F4} ({seconds:F0} s)");
        return (model, validation, seconds);
    }

    public ModelResult Evaluate(IRecommender model, double validationNdcg10, double seconds)
    {
        var ranks = RecommenderEvaluation.Ranks(model, Split.Test);
        var coldRanks = ColdUsers.Select(u => ranks[u]).ToArray();
        return new ModelResult(model.Name, model.Settings, validationNdcg10,
            RecommenderEvaluation.Summarise(ranks, Options.BootstrapResamples, Options.Seed),
            RecommenderEvaluation.Summarise(coldRanks, Options.BootstrapResamples, Options.Seed),
            seconds, (model as SequenceRecommender)?.Summary?.SequencesPerSecond);
    }

    /// <summary>Every model of <see cref="RecommendationOptions.Models"/>, fitted and evaluated in turn.</summary>
    public RecommendationReport Run()
    {
        var clock = Stopwatch.StartNew();
        var rows = new List<ModelResult>();
        foreach (var name in Options.Models)
        {
            var (model, validation, seconds) = Fit(name);
            rows.Add(Evaluate(model, validation, seconds));
        }
        return RecommendationReport.Create(rows, Split, ColdUsers.Count, Options, clock.Elapsed.TotalSeconds);
    }

    IRecommender Best(IEnumerable<Func<IRecommender>> candidates)
    {
        IRecommender? best = null;
        double bestScore = double.NegativeInfinity;
        foreach (var make in candidates)
        {
            var model = make();
            var score = RecommenderEvaluation.ValidationNdcg10(model, Split);
            _log?.Invoke($"  {model.Name} {model.Settings}: validation NDCG@10 {score:F4}");
            if (score > bestScore) { (best as IDisposable)?.Dispose(); (best, bestScore) = (model, score); }
            else (model as IDisposable)?.Dispose();
        }
        return best ?? throw new ArgumentException("A tuning grid is empty.");
    }

    /// <summary>A sequence model's fit is checkpointed under OutputDir/checkpoints/&lt;name&gt;: a rerun into the same
    /// folder continues an interrupted fit (a 200-epoch full-profile fit takes an hour here) or reuses a finished one.</summary>
    SequenceRecommender FitSequence(SequenceRecommender model, string name)
    {
        model.Fit(Options.Seed, _log, Path.Combine(Options.OutputDir, "checkpoints", name));
        return model;
    }

    public void Dispose()
    {
        foreach (var model in _fitted) (model as IDisposable)?.Dispose();
        _textVectors?.Dispose();
    }
}
