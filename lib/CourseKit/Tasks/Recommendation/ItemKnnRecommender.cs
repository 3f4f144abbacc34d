using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tasks.Recommendation;

/// <summary>
/// Item-kNN (Sarwar et al. 2001; Deshpande &amp; Karypis 2004): score(i) = Σ over the user's recent items j of
/// cos(i, j), with cos(i, j) = co(i, j) / √(n_i n_j) over the training co-occurrence counts. The item × item matrix
/// (9,724² floats) is never built: with X the binary user × item training matrix and d = n^-½,
/// scores = ((q ⊙ d) Xᵀ) X ⊙ d, two thin products. Tuned: how many of the most recent history items form the query.
/// </summary>
public sealed class ItemKnnRecommender : IRecommender, IDisposable
{
    readonly Tensor _interactions;   // [U, N+1] binary
    readonly Tensor _inverseRootCounts; // [N+1], 0 where an item has no training interaction
    readonly int _window;

    /// <param name="window">Most recent history items used as the query; 0 = the whole history.</param>
    public ItemKnnRecommender(LeaveOneOutSplit split, int window)
    {
        _window = window;
        var rows = new float[split.UserCount * (split.ItemCount + 1)];
        for (int u = 0; u < split.UserCount; u++)
            foreach (var i in split.Train[u]) rows[u * (split.ItemCount + 1) + i] = 1f;
        _interactions = tensor(rows, [split.UserCount, split.ItemCount + 1]);
        var counts = tensor(split.TrainCounts.Select(c => (float)c).ToArray());
        _inverseRootCounts = where(counts > 0, counts.clamp_min(1).rsqrt(), zeros_like(counts));
    }

    public string Name => "itemknn";
    public string Settings => _window == 0 ? "whole history" : $"last {_window} items";

    public float[][] Score(IReadOnlyList<RecommendationQuery> queries)
    {
        using var scope = NewDisposeScope();
        int width = (int)_interactions.shape[1];
        var query = new float[queries.Count * width];
        for (int q = 0; q < queries.Count; q++)
        {
            var history = queries[q].History;
            foreach (var i in _window == 0 ? history : history[Math.Max(0, history.Length - _window)..]) query[q * width + i] = 1f;
        }
        using var _ = no_grad();
        var weighted = tensor(query, [queries.Count, width]) * _inverseRootCounts;   // [B, N+1]
        var scores = weighted.matmul(_interactions.t()).matmul(_interactions) * _inverseRootCounts;  // [B, N+1]
        return Rows(scores);
    }

    internal static float[][] Rows(Tensor scores)
    {
        var flat = scores.contiguous().data<float>().ToArray();
        int width = (int)scores.shape[1];
        return Enumerable.Range(0, (int)scores.shape[0]).Select(r => flat[(r * width)..((r + 1) * width)]).ToArray();
    }

    public void Dispose()
    {
        _interactions.Dispose();
        _inverseRootCounts.Dispose();
    }
}
