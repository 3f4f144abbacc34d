using CourseKit.Data;
using Microsoft.Data.Analysis;

namespace CourseKit.Tasks.Recommendation;

/// <summary>MovieLens ml-latest-small as the chapter reads it: ratings, movies and tags, cross-checked (a rating or
/// tag of a movie that movies.csv lacks fails naming file and line), and the same rows as DataFrames.</summary>
public sealed class MovieLensData
{
    public IReadOnlyList<MovieRating> Ratings { get; }
    public IReadOnlyList<Movie> Movies { get; }
    public IReadOnlyList<MovieTag> Tags { get; }

    public MovieLensData(IReadOnlyList<MovieRating> ratings, IReadOnlyList<Movie> movies, IReadOnlyList<MovieTag> tags)
    {
        Ratings = ratings;
        Movies = movies;
        Tags = tags;
    }

    public static MovieLensData Load(DataRegistry? registry = null)
    {
        var movies = MovieLens.LoadMovies(registry);
        var known = movies.Select(m => m.MovieId).ToHashSet();
        var ratingsPath = (registry ?? DataRegistry.Default).Require("movielens-ml-latest-small").File("ratings.csv");
        return new MovieLensData(MovieLens.LoadRatingsFile(ratingsPath, known), movies, MovieLens.LoadTags(registry, known));
    }

    /// <summary>Reads the three files from one folder (tests, other copies).</summary>
    public static MovieLensData LoadFolder(string dir)
    {
        var movies = MovieLens.LoadMoviesFile(Path.Combine(dir, "movies.csv"));
        var known = movies.Select(m => m.MovieId).ToHashSet();
        var tagsPath = Path.Combine(dir, "tags.csv");
        return new MovieLensData(MovieLens.LoadRatingsFile(Path.Combine(dir, "ratings.csv"), known), movies,
            File.Exists(tagsPath) ? MovieLens.LoadTagsFile(tagsPath, known) : []);
    }

    public DataFrame RatingsFrame() => MovieLens.ToDataFrame(Ratings);
    public DataFrame MoviesFrame() => MovieLens.ToDataFrame(Movies);
    public DataFrame TagsFrame() => MovieLens.ToDataFrame(Tags);

    /// <summary>Each user's interactions as (userId, movieIds in time order). Ties in time (MovieLens has many: a
    /// batch of ratings entered in the same second) are broken by ascending movieId, so the order never depends on
    /// the file's row order.</summary>
    public IReadOnlyList<(int UserId, int[] MovieIds)> UserHistories() =>
        Ratings.GroupBy(r => r.UserId)
            .OrderBy(g => g.Key)
            .Select(g => (g.Key, g.OrderBy(r => r.Timestamp).ThenBy(r => r.MovieId).Select(r => r.MovieId).ToArray()))
            .ToList();
}
