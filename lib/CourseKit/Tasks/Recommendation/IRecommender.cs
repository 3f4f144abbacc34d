namespace CourseKit.Tasks.Recommendation;

/// <summary>A fitted recommender: scores every item index 0..N for each query (index 0, padding, is never ranked).</summary>
public interface IRecommender
{
    string Name { get; }
    /// <summary>The settings chosen on the validation item, in words (e.g. "last 20 items").</summary>
    string Settings { get; }
    /// <summary>scores[q][i] for item index i of query q; higher = recommended first.</summary>
    float[][] Score(IReadOnlyList<RecommendationQuery> queries);
}

/// <summary>Recommends the items most often interacted with in training, the same list for everyone.</summary>
public sealed class PopularityRecommender : IRecommender
{
    readonly float[] _scores;

    public PopularityRecommender(LeaveOneOutSplit split)
    {
        // Score = minus the position in the list sorted by count, equal counts by ascending movieId: a strict order
        // (exact integers in float), since the metric breaks exact ties against the target.
        var order = Enumerable.Range(1, split.ItemCount).OrderByDescending(i => split.TrainCounts[i]).ThenBy(i => i).ToArray();
        _scores = new float[split.ItemCount + 1];
        _scores[0] = float.NegativeInfinity;
        for (int position = 0; position < order.Length; position++) _scores[order[position]] = -position;
    }

    public string Name => "popularity";
    public string Settings => "training counts";
    public float[][] Score(IReadOnlyList<RecommendationQuery> queries) => queries.Select(_ => _scores).ToArray();
}
