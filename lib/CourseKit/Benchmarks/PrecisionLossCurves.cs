using System.Text.Json.Nodes;
using CourseKit.Data;
using CourseKit.Tasks.Pretraining;
using CourseKit.Text;
using CourseKit.Training;

namespace CourseKit.Benchmarks;

/// <summary>One precision's short masked-LM run: the training loss every few steps, the held-out loss, the speed.</summary>
public sealed record LossCurve(Precision Precision, IReadOnlyList<(long Step, double Loss)> TrainLoss, double HeldOutLoss, double TokensPerSecond,
    double WallSeconds);

/// <summary>
/// Do the numerics hold in bf16? The same short masked-LM pretraining run (the quick recipe on the course corpus, same
/// seed, same batches and masks) in fp32 and in bf16 with fp32 master weights; the two loss curves should differ by
/// no more than the run-to-run noise of the loss itself. The runs are sequential, so their tokens/s ratio is only
/// indicative; the interleaved step timings of <see cref="TrainingBenchmark"/> give the speed ratio.
/// </summary>
public static class PrecisionLossCurves
{
    public static IReadOnlyList<LossCurve> Run(int steps, int seed = 42)
    {
        var tokenizer = BertTextTokenizer.Cased(BertVocabFiles.Cased());
        var recipe = PretrainingRecipes.Bert(Profile.Quick, seed) with
        {
            Steps = steps, WarmupSteps = Math.Max(1, steps / 10), LogEverySteps = Math.Max(1, steps / 20), EvalEverySteps = steps, SaveEverySteps = 0,
        };
        var corpus = PretrainingCorpus.Build(tokenizer, recipe.Corpus);
        return new[] { Precision.Fp32, Precision.Bf16 }.Select(p =>
        {
            var r = MaskedLmPretraining.Run(tokenizer, recipe with { Precision = p }, corpus);
            var curve = r.Training.History.Where(h => h.Kind == LogEntry.Train).Select(h => (h.Step, h.Values["loss"])).ToList();
            return new LossCurve(p, curve, r.HeldOut.Loss, r.Training.TokensPerSecond, r.Training.WallSeconds);
        }).ToList();
    }

    /// <summary>The largest |bf16 − fp32| training loss at a logged step, relative to the fp32 loss there.</summary>
    public static double MaxRelativeGap(LossCurve fp32, LossCurve bf16) =>
        fp32.TrainLoss.Zip(bf16.TrainLoss, (a, b) => a.Step == b.Step
            ? Math.Abs(b.Loss - a.Loss) / Math.Abs(a.Loss)
            : throw new InvalidOperationException($"the curves log different steps ({a.Step} vs {b.Step})")).Max();

    public static JsonObject ToJson(IReadOnlyList<LossCurve> curves) => new()
    {
        ["recipe"] = "PretrainingRecipes.Bert(quick) with the given steps; same seed, batches and masks in both precisions; runs sequential",
        ["max_relative_train_loss_gap"] = curves.Count == 2 ? Math.Round(MaxRelativeGap(curves[0], curves[1]), 5) : null,
        ["runs"] = new JsonArray(curves.Select(c => (JsonNode)new JsonObject
        {
            ["precision"] = c.Precision.ToString().ToLowerInvariant(),
            ["heldout_loss"] = Math.Round(c.HeldOutLoss, 5), ["tokens_per_second"] = Math.Round(c.TokensPerSecond, 1), ["wall_seconds"] = Math.Round(c.WallSeconds, 1),
            ["train_loss"] = new JsonArray(c.TrainLoss.Select(p => (JsonNode)new JsonArray(p.Step, Math.Round(p.Loss, 5))).ToArray()),
        }).ToArray()),
    };
}
