using CourseKit.Metrics;

namespace CourseKit.Tests.Tasks.Monitoring;

[KeepTensorsAlive]
public class CalibrationTests
{
    // Four predictions worked by hand: confidences 0.9 (right), 0.8 (wrong), 0.6 (right), 0.7 (right).
    static readonly float[][] Probabilities = [[0.9f, 0.1f], [0.8f, 0.2f], [0.6f, 0.4f], [0.3f, 0.7f]];
    static readonly int[] Labels = [0, 1, 0, 1];

    [Fact]
    public void Ece_with_15_bins_is_the_mean_gap_when_every_prediction_has_its_own_bin()
    {
        // Bins 13, 12, 9 and 10: gaps |1-0.9|, |0-0.8|, |1-0.6|, |1-0.7| -> (0.1 + 0.8 + 0.4 + 0.3) / 4 = 0.4.
        Assert.Equal(0.4, Calibration.ExpectedCalibrationError(Probabilities, Labels), 5);
        var bins = Calibration.ReliabilityBins(Probabilities, Labels);
        Assert.Equal(15, bins.Count);
        Assert.Equal([9, 10, 12, 13], bins.Select((b, i) => (b, i)).Where(x => x.b.Count > 0).Select(x => x.i).ToArray());
        Assert.Equal(0.0, bins[12].Accuracy);
    }

    [Fact]
    public void Ece_with_two_bins_pools_the_predictions_and_can_hide_the_gaps()
    {
        // One bin [0.5, 1] holds all four: mean confidence 0.75, accuracy 3/4 -> ECE 0.
        Assert.Equal(0.0, Calibration.ExpectedCalibrationError(Probabilities, Labels, bins: 2), 5);
    }

    [Fact]
    public void Coverage_accuracy_drops_the_least_confident_answers()
    {
        var curve = Calibration.CoverageAccuracy(Probabilities, Labels, [0.0, 0.65, 0.75, 0.85, 0.95]);
        Assert.Equal([1.0, 0.75, 0.5, 0.25, 0.0], curve.Select(p => p.Coverage).ToArray());
        Assert.Equal(0.75, curve[0].Accuracy, 6);
        Assert.Equal(2 / 3.0, curve[1].Accuracy, 6); // 0.9 right, 0.8 wrong, 0.7 right
        Assert.Equal(0.5, curve[2].Accuracy, 6);
        Assert.True(double.IsNaN(curve[4].Accuracy));
        Assert.Equal(0.0, Calibration.ThresholdFor(curve, 0.7)!.Threshold);
        Assert.Equal(0.85, Calibration.ThresholdFor(curve, 0.8)!.Threshold); // only the 0.9 answer is left, and it is right
    }

    [Fact]
    public void Temperature_scaling_finds_the_hand_worked_optimum()
    {
        // Logits [2, 0] four times, gold 0 three times: the NLL is smallest when softmax gives 0.75 to class 0,
        // i.e. sigmoid(2/T) = 3/4, 2/T = ln 3, T = 2 / ln 3 = 1.8205.
        float[][] logits = [[2, 0], [2, 0], [2, 0], [2, 0]];
        int[] gold = [0, 0, 0, 1];
        double t = TemperatureScaling.Fit(logits, gold);
        Assert.Equal(2 / Math.Log(3), t, 3);
        var calibrated = TemperatureScaling.Softmax(logits, t);
        Assert.Equal(0.75, calibrated[0][0], 3);
        Assert.Equal(0.0, Calibration.ExpectedCalibrationError(calibrated, gold), 3);
        // The raw model (T = 1) says 0.881 and is right 75 % of the time: over-confident.
        Assert.Equal(1 / (1 + Math.Exp(-2)) - 0.75, Calibration.ExpectedCalibrationError(TemperatureScaling.Softmax(logits), gold), 4);
        Assert.True(TemperatureScaling.NegativeLogLikelihood(logits, gold, t) < TemperatureScaling.NegativeLogLikelihood(logits, gold, 1));
    }

    [Fact]
    public void Temperature_fitted_on_a_validation_part_that_is_more_accurate_than_test_raises_the_test_ece()
    {
        // Chapter 09's quick profile: the fit is right, the split is what moves ECE up. Validation: logits [2, 0]
        // twenty times, right 19 times (the best epoch was picked there, 99 sentences): the NLL optimum gives
        // sigmoid(2/T) = 19/20, T = 2 / ln 19 = 0.6792 (< 1, sharpen), and validation ECE falls from
        // |0.8808 - 0.95| = 0.0692 to 0. Test: the same logits right 3 times in 4: ECE |0.8808 - 0.75| = 0.1308
        // before, |0.95 - 0.75| = 0.20 after. Same logits, opposite needs: one scalar cannot serve both.
        float[][] Rows(int n) => Enumerable.Repeat(new float[] { 2, 0 }, n).ToArray();
        var validation = Rows(20);
        int[] validationGold = [.. Enumerable.Repeat(0, 19), 1];
        var test = Rows(4);
        int[] testGold = [0, 0, 0, 1];
        double raw = 1 / (1 + Math.Exp(-2));

        double t = TemperatureScaling.Fit(validation, validationGold);
        Assert.Equal(2 / Math.Log(19), t, 3);
        Assert.Equal(0.95 - raw, Calibration.ExpectedCalibrationError(TemperatureScaling.Softmax(validation), validationGold), 4);
        Assert.Equal(0.0, Calibration.ExpectedCalibrationError(TemperatureScaling.Softmax(validation, t), validationGold), 3);
        Assert.Equal(raw - 0.75, Calibration.ExpectedCalibrationError(TemperatureScaling.Softmax(test), testGold), 4);
        Assert.Equal(0.20, Calibration.ExpectedCalibrationError(TemperatureScaling.Softmax(test, t), testGold), 3);
        // Fitted on a part like the test part, the same routine lowers the test ECE (to 0, as in the test above).
        double onTestLike = TemperatureScaling.Fit(Rows(8), [0, 0, 0, 1, 0, 0, 0, 1]);
        Assert.Equal(0.0, Calibration.ExpectedCalibrationError(TemperatureScaling.Softmax(test, onTestLike), testGold), 3);
    }

    [Fact]
    public void Temperature_fit_is_the_grid_minimum_of_the_validation_nll_on_three_classes()
    {
        // Unequal logits, three classes, one confidently wrong row: the golden-section search must land where a
        // brute-force scan of the NLL over T does (a search bug, e.g. a flipped bracket, would not).
        float[][] logits = [[3, 1, -2], [0.5f, 0.4f, 2], [-1, 4, 0], [2.5f, -1, 0.3f], [0, 0.2f, 0.1f], [4, -2, -1]];
        int[] gold = [0, 2, 1, 0, 1, 2];
        double fitted = TemperatureScaling.Fit(logits, gold);
        var scan = Enumerable.Range(0, 4000).Select(i => Math.Exp(Math.Log(0.05) + i * (Math.Log(20) - Math.Log(0.05)) / 3999))
            .MinBy(t => TemperatureScaling.NegativeLogLikelihood(logits, gold, t));
        Assert.Equal(scan, fitted, 2);
        Assert.True(fitted > 1, $"a confidently wrong answer calls for softening, got T = {fitted}");
    }

    [Fact]
    public void Temperature_scaling_never_changes_the_predicted_class()
    {
        float[][] logits = [[3, 1, -2], [0.5f, 0.4f, 2], [-1, 4, 0]];
        var raw = TemperatureScaling.Softmax(logits).Select(p => Calibration.Top(p).Predicted);
        var scaled = TemperatureScaling.Softmax(logits, 3.7).Select(p => Calibration.Top(p).Predicted);
        Assert.Equal(raw, scaled);
    }

    [Fact]
    public void Auroc_counts_ties_as_half()
    {
        // 9 pairs: 0.9 and 0.8 beat all three (6), 0.4 beats 0.1 and 0.3 and ties 0.4 (2.5) -> 8.5 / 9.
        Assert.Equal(8.5 / 9, Auroc.Compute([0.9, 0.8, 0.4], [0.1, 0.4, 0.3]), 10);
        Assert.Equal(0.0, Auroc.Compute([0.1], [0.2, 0.3]), 10);
        Assert.Throws<ArgumentException>(() => Auroc.Compute([], [0.2]));
    }
}
