using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tasks.PromptLearning;

/// <summary>
/// Multinomial logistic regression on fixed embeddings, scikit-learn's objective (what SetFit puts on its encoder):
/// Σ cross-entropy + ||W||² / (2C), the bias not penalised, C = 1. Full-batch Adam on a convex problem with a few
/// dozen rows converges in a few hundred steps.
/// </summary>
public sealed class LogisticRegressionHead
{
    readonly float[] _weights;   // [C, H] row-major
    readonly float[] _bias;      // [C]

    LogisticRegressionHead(float[] weights, float[] bias, int classes, int dimension)
    {
        _weights = weights;
        _bias = bias;
        Classes = classes;
        Dimension = dimension;
    }

    public int Classes { get; }
    public int Dimension { get; }

    public static LogisticRegressionHead Fit(float[][] features, int[] labels, int classes, double c = 1.0, int steps = 500, double learningRate = 0.05, int seed = 0)
    {
        if (features.Length == 0 || features.Length != labels.Length) throw new ArgumentException($"{features.Length} feature rows for {labels.Length} labels");
        int n = features.Length, h = features[0].Length;
        using var scope = NewDisposeScope();
        torch.manual_seed(seed);
        var x = tensor(features.SelectMany(r => r).ToArray(), [n, h]);
        var y = tensor(labels.Select(l => (long)l).ToArray());
        var w = nn.Parameter(zeros(classes, h));
        var b = nn.Parameter(zeros(classes));
        using var optimizer = optim.Adam([w, b], learningRate);
        for (int step = 0; step < steps; step++)
        {
            using var stepScope = NewDisposeScope();
            optimizer.zero_grad();
            var logits = x.matmul(w.t()) + b;
            var loss = nn.functional.cross_entropy(logits, y, reduction: nn.Reduction.Sum) + w.pow(2).sum() / (2 * c);
            loss.backward();
            optimizer.step();
        }
        return new LogisticRegressionHead(w.detach().data<float>().ToArray(), b.detach().data<float>().ToArray(), classes, h);
    }

    /// <summary>Class scores (logits) of one embedding.</summary>
    public float[] Logits(float[] features)
    {
        var logits = new float[Classes];
        for (int c = 0; c < Classes; c++)
        {
            float s = _bias[c];
            for (int i = 0; i < Dimension; i++) s += _weights[c * Dimension + i] * features[i];
            logits[c] = s;
        }
        return logits;
    }

    public int Predict(float[] features) => Tasks.SequenceClassification.SequenceClassificationBatches.ArgMax(Logits(features));
}
