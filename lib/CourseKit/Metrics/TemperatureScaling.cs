namespace CourseKit.Metrics;

/// <summary>
/// Temperature scaling (Guo et al. 2017): divide the logits by one scalar T &gt; 0 before the softmax. T &gt; 1 softens
/// an over-confident model, T &lt; 1 sharpens an under-confident one; the argmax, hence accuracy, never changes. T is
/// fitted on held-out (validation) logits by minimising the negative log-likelihood, a 1-D problem: golden-section
/// search over log T (the NLL is unimodal in 1/T, which is what makes a bracketing search enough).
/// </summary>
public static class TemperatureScaling
{
    /// <summary>softmax(logits / temperature) per row, computed with the row maximum subtracted (no overflow).</summary>
    public static float[][] Softmax(IReadOnlyList<float[]> logits, double temperature = 1.0)
    {
        if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "temperature must be positive");
        return logits.Select(row =>
        {
            double max = row.Max();
            var e = row.Select(z => Math.Exp((z - max) / temperature)).ToArray();
            double sum = e.Sum();
            return e.Select(v => (float)(v / sum)).ToArray();
        }).ToArray();
    }

    /// <summary>Mean NLL of the gold labels under softmax(logits / T), in double precision.</summary>
    public static double NegativeLogLikelihood(IReadOnlyList<float[]> logits, IReadOnlyList<int> labels, double temperature)
    {
        if (logits.Count != labels.Count) throw new ArgumentException($"{logits.Count} logit rows but {labels.Count} labels");
        double total = 0;
        for (int i = 0; i < logits.Count; i++)
        {
            var row = logits[i];
            double max = row.Max() / temperature, sum = 0;
            foreach (var z in row) sum += Math.Exp(z / temperature - max);
            total += max + Math.Log(sum) - row[labels[i]] / temperature;
        }
        return total / logits.Count;
    }

    /// <summary>The temperature in [<paramref name="min"/>, <paramref name="max"/>] that minimises the validation NLL.</summary>
    public static double Fit(IReadOnlyList<float[]> logits, IReadOnlyList<int> labels, double min = 0.05, double max = 20, double tolerance = 1e-5)
    {
        if (logits.Count == 0) throw new ArgumentException("no logits to fit a temperature on");
        double Loss(double logT) => NegativeLogLikelihood(logits, labels, Math.Exp(logT));
        double a = Math.Log(min), b = Math.Log(max);
        double ratio = (Math.Sqrt(5) - 1) / 2;
        double c = b - ratio * (b - a), d = a + ratio * (b - a);
        double fc = Loss(c), fd = Loss(d);
        while (b - a > tolerance)
        {
            if (fc <= fd) { b = d; d = c; fd = fc; c = b - ratio * (b - a); fc = Loss(c); }
            else { a = c; c = d; fc = fd; d = a + ratio * (b - a); fd = Loss(d); }
        }
        return Math.Exp((a + b) / 2);
    }
}
