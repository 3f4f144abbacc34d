namespace CourseKit.Tasks.Recommendation;

/// <summary>One recommended movie.</summary>
public sealed record Recommendation(int Rank, int MovieId, string Title, string Genres, float Score);

/// <summary>Top-K lists for a known user or for a reader who types a few titles they like.</summary>
public static class Recommendations
{
    /// <summary>The query for a MovieLens user: their whole history (train, validation and test items), so the list
    /// holds only movies they have not rated.</summary>
    public static RecommendationQuery ForUser(LeaveOneOutSplit split, int userId)
    {
        int u = Array.IndexOf(split.UserIds, userId);
        if (u < 0) throw new ArgumentException($"User {userId} is not in the data (ids {split.UserIds.Min()}–{split.UserIds.Max()}).", nameof(userId));
        return new RecommendationQuery(u, [.. split.Test[u].History, split.Test[u].Target], 0);
    }

    /// <summary>A new user's history from typed titles, each matched case-insensitively against movies.csv (an exact
    /// title first, else the most rated title containing the text). Unmatched texts are returned, not guessed.
    /// The user index is −1: models that need a learned user vector (MF) cannot score it.</summary>
    public static (RecommendationQuery Query, IReadOnlyList<string> Matched, IReadOnlyList<string> Unmatched) FromTitles(
        MovieLensData data, LeaveOneOutSplit split, IEnumerable<string> titles)
    {
        var (items, matched, unmatched) = (new List<int>(), new List<string>(), new List<string>());
        var rated = data.Movies.Where(m => split.IndexOfMovie.ContainsKey(m.MovieId)).ToList();
        foreach (var text in titles.Select(t => t.Trim()).Where(t => t.Length > 0))
        {
            var movie = rated.FirstOrDefault(m => string.Equals(m.Title, text, StringComparison.OrdinalIgnoreCase))
                ?? rated.Where(m => m.Title.Contains(text, StringComparison.OrdinalIgnoreCase))
                    .OrderByDescending(m => split.TrainCounts[split.IndexOfMovie[m.MovieId]]).FirstOrDefault();
            if (movie is null) { unmatched.Add(text); continue; }
            items.Add(split.IndexOfMovie[movie.MovieId]);
            matched.Add(movie.Title);
        }
        return (new RecommendationQuery(-1, [.. items], 0), matched, unmatched);
    }

    public static IReadOnlyList<Recommendation> TopK(IRecommender model, RecommendationQuery query, MovieLensData data, LeaveOneOutSplit split, int k = 10)
    {
        if (query.UserIndex < 0 && model is BprRecommender)
            throw new ArgumentException("Matrix factorisation has no vector for a new user; pick another model.", nameof(model));
        var scores = model.Score([query])[0];
        var seen = query.History.ToHashSet();
        var movies = data.Movies.ToDictionary(m => m.MovieId);
        return Enumerable.Range(1, split.ItemCount).Where(i => !seen.Contains(i))
            .OrderByDescending(i => scores[i]).ThenBy(i => i).Take(k)
            .Select((i, r) => new Recommendation(r + 1, split.MovieIds[i], movies[split.MovieIds[i]].Title,
                string.Join('|', movies[split.MovieIds[i]].Genres), scores[i]))
            .ToList();
    }
}
