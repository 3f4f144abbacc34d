using CourseKit.Metrics;
using CourseKit.Models;
using static TorchSharp.torch;

namespace CourseKit.Tasks.Monitoring;

/// <summary>
/// "Is this still the text the model was trained on?" A sample of training-sentence embeddings (unit length) and
/// three ways to measure distance from it:
/// <list type="bullet">
/// <item>per sentence, nearest-neighbour novelty 1 − max cosine to the sample (Sun et al. 2022, "Out-of-distribution
/// detection with deep nearest neighbors"): a movie review has no close neighbour among financial sentences;</item>
/// <item>per sentence, the classifier's own doubt: 1 − max softmax (Hendrycks &amp; Gimpel 2017) or the energy
/// (Liu et al. 2020), which need nothing but the logits;</item>
/// <item>per batch, the maximum mean discrepancy (Gretton et al. 2012) between the batch and the sample with a Gaussian
/// kernel (bandwidth: the sample's median pairwise distance), a two-sample statistic for "this batch is different".</item>
/// </list>
/// <see cref="Threshold"/> is the novelty above which a sentence counts as out of domain (a high percentile of held-out
/// in-domain novelty, so a few percent of in-domain sentences cross it by design).
/// </summary>
public sealed class OutOfDomainReference
{
    public OutOfDomainReference(float[][] embeddings, double threshold = double.PositiveInfinity)
    {
        if (embeddings.Length < 2) throw new ArgumentException($"an out-of-domain reference needs at least 2 embeddings, got {embeddings.Length}");
        Embeddings = embeddings;
        Threshold = threshold;
        Bandwidth = MedianDistance(embeddings);
    }

    public float[][] Embeddings { get; }
    public int Dimension => Embeddings[0].Length;
    public double Threshold { get; init; }
    /// <summary>Gaussian kernel bandwidth σ of the MMD (median heuristic on the reference).</summary>
    public double Bandwidth { get; }

    /// <summary>1 − max cosine similarity to the reference, per row of <paramref name="embeddings"/> (unit-length rows).</summary>
    public double[] Novelty(IReadOnlyList<float[]> embeddings)
    {
        if (embeddings.Count == 0) return [];
        using var scope = NewDisposeScope();
        var reference = Matrix(Embeddings);
        var query = Matrix(embeddings);
        var best = query.matmul(reference.t()).max(1).values;
        return best.data<float>().Select(s => 1.0 - s).ToArray();
    }

    /// <summary>The unbiased MMD² between <paramref name="batch"/> and the reference under exp(−‖x−y‖² / 2σ²).</summary>
    public double MaximumMeanDiscrepancy(IReadOnlyList<float[]> batch)
    {
        if (batch.Count < 2) throw new ArgumentException("the MMD needs a batch of at least 2 embeddings");
        using var scope = NewDisposeScope();
        var x = Matrix(batch);
        var y = Matrix(Embeddings);
        double Mean(Tensor a, Tensor b, bool sameSet)
        {
            // square() and a cached divisor: no Scalar left to TorchSharp 0.107's finalizer race (the full profile's
            // monitor train died here in pow(2) with c10's Scalar.h assert); same operations, same numbers.
            var k = exp((-cdist(a, b).square()).div(CachedScalars.Of(2 * Bandwidth * Bandwidth)));
            long n = a.shape[0];
            // Unbiased: leave the diagonal (a point with itself) out within one set.
            return sameSet ? (k.sum().item<float>() - n) / (double)(n * (n - 1)) : k.mean().item<float>();
        }
        return Mean(x, x, true) + Mean(y, y, true) - 2 * Mean(x, y, false);
    }

    static Tensor Matrix(IReadOnlyList<float[]> rows)
    {
        int dim = rows[0].Length;
        var flat = new float[rows.Count * dim];
        for (int i = 0; i < rows.Count; i++) rows[i].CopyTo(flat, i * dim);
        return tensor(flat, [rows.Count, dim]);
    }

    static double MedianDistance(float[][] embeddings)
    {
        using var scope = NewDisposeScope();
        var sample = Matrix(embeddings.Take(500).ToArray());
        var d = cdist(sample, sample);
        long n = sample.shape[0];
        var upper = d.masked_select(ones(n, n, dtype: ScalarType.Bool).triu(1)).data<float>().ToArray();
        Array.Sort(upper);
        return Math.Max(1e-3, upper[upper.Length / 2]);
    }

    /// <summary>The value below which <paramref name="quantile"/> of <paramref name="values"/> lie (nearest rank).</summary>
    public static double Percentile(IReadOnlyList<double> values, double quantile)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    /// <summary>Saves the reference as raw little-endian float32 rows (the count and dimension go in monitor.json).</summary>
    public void Save(string path)
    {
        using var writer = new BinaryWriter(File.Create(path));
        foreach (var row in Embeddings) foreach (var v in row) writer.Write(v);
    }

    public static OutOfDomainReference Load(string path, int count, int dimension, double threshold)
    {
        long expected = (long)count * dimension * sizeof(float);
        if (!File.Exists(path) || new FileInfo(path).Length != expected)
            throw new InvalidDataException($"{path}: expected {count} x {dimension} float32 values ({expected} bytes)");
        using var reader = new BinaryReader(File.OpenRead(path));
        var rows = new float[count][];
        for (int i = 0; i < count; i++)
        {
            rows[i] = new float[dimension];
            for (int j = 0; j < dimension; j++) rows[i][j] = reader.ReadSingle();
        }
        return new OutOfDomainReference(rows, threshold);
    }
}

/// <summary>AUROC of each out-of-domain score, in-domain test sentences against one foreign set.</summary>
public sealed record DriftScoreAuroc(string Foreign, int InDomainCount, int ForeignCount, double NearestNeighbour, double MaxSoftmax,
    double Energy, double BatchMmd, int BatchSize);

public static class DriftEvaluation
{
    /// <summary>Sentence-level AUROC of the three sentence scores, and batch-level AUROC of the MMD over disjoint batches.</summary>
    public static DriftScoreAuroc Compare(string foreignName, OutOfDomainReference reference,
        (float[][] Embeddings, SentimentScore[] Scores) inDomain, (float[][] Embeddings, SentimentScore[] Scores) foreign, int batchSize = 16)
    {
        double Score(double[] pos, double[] neg) => Auroc.Compute(pos, neg);
        var knn = Score(reference.Novelty(foreign.Embeddings), reference.Novelty(inDomain.Embeddings));
        var msp = Score(foreign.Scores.Select(s => 1.0 - s.MaxSoftmax).ToArray(), inDomain.Scores.Select(s => 1.0 - s.MaxSoftmax).ToArray());
        var energy = Score(foreign.Scores.Select(s => (double)s.Energy).ToArray(), inDomain.Scores.Select(s => (double)s.Energy).ToArray());
        double[] Mmd(float[][] e) => e.Chunk(batchSize).Where(b => b.Length == batchSize).Select(b => reference.MaximumMeanDiscrepancy(b)).ToArray();
        var inBatches = Mmd(inDomain.Embeddings);
        var foreignBatches = Mmd(foreign.Embeddings);
        double mmd = inBatches.Length > 0 && foreignBatches.Length > 0 ? Score(foreignBatches, inBatches) : double.NaN;
        return new DriftScoreAuroc(foreignName, inDomain.Scores.Length, foreign.Scores.Length, knn, msp, energy, mmd, batchSize);
    }
}
