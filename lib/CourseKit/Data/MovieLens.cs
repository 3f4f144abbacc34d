using System.Globalization;
using Microsoft.Data.Analysis;

namespace CourseKit.Data;

/// <summary>One MovieLens rating: 0.5 to 5.0 stars in half-star steps; the timestamp is Unix seconds (UTC).</summary>
public sealed record MovieRating(int UserId, int MovieId, float Rating, long Timestamp);

/// <summary>One MovieLens movie: the title includes the year, e.g. "Toy Story (1995)".</summary>
public sealed record Movie(int MovieId, string Title, IReadOnlyList<string> Genres);

/// <summary>One free-text tag a user put on a movie (tags.csv), e.g. "twist ending".</summary>
public sealed record MovieTag(int UserId, int MovieId, string Tag, long Timestamp);

/// <summary>Loads MovieLens ml-latest-small: ratings.csv (userId,movieId,rating,timestamp) and movies.csv
/// (movieId,title,genres with quoted titles and '|'-joined genres).</summary>
public static class MovieLens
{
    const string Dataset = "movielens-ml-latest-small";

    public static IReadOnlyList<MovieRating> LoadRatings(DataRegistry? registry = null) =>
        LoadRatingsFile((registry ?? DataRegistry.Default).Require(Dataset).File("ratings.csv"));

    public static IReadOnlyList<Movie> LoadMovies(DataRegistry? registry = null) =>
        LoadMoviesFile((registry ?? DataRegistry.Default).Require(Dataset).File("movies.csv"));

    public static IReadOnlyList<MovieTag> LoadTags(DataRegistry? registry = null, IReadOnlySet<int>? knownMovieIds = null) =>
        LoadTagsFile((registry ?? DataRegistry.Default).Require(Dataset).File("tags.csv"), knownMovieIds);

    /// <summary>Reads ratings.csv. Ids must be positive integers; with <paramref name="knownMovieIds"/> (movies.csv's
    /// ids) a rating of any other movie is an error naming the file and line.</summary>
    public static IReadOnlyList<MovieRating> LoadRatingsFile(string path, IReadOnlySet<int>? knownMovieIds = null)
    {
        var ratings = new List<MovieRating>();
        foreach (var (number, fields) in Records(path, "userId,movieId,rating,timestamp", 4))
        {
            var rating = new MovieRating(
                ParseInt(fields[0], "userId"),
                ParseInt(fields[1], "movieId"),
                float.TryParse(fields[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var r) && r is >= 0.5f and <= 5f
                    ? r
                    : throw new DataFormatException(path, number, $"rating must be a number from 0.5 to 5, got '{fields[2]}'."),
                long.TryParse(fields[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var t)
                    ? t
                    : throw new DataFormatException(path, number, $"timestamp must be an integer, got '{fields[3]}'."));
            if (knownMovieIds is not null && !knownMovieIds.Contains(rating.MovieId))
                throw new DataFormatException(path, number, $"movieId {rating.MovieId} is not in movies.csv.");
            ratings.Add(rating);

            int ParseInt(string text, string column) => ParseId(text, column, path, number);
        }
        return ratings;
    }

    /// <summary>Reads tags.csv (userId,movieId,tag,timestamp); the same checks as <see cref="LoadRatingsFile"/>.</summary>
    public static IReadOnlyList<MovieTag> LoadTagsFile(string path, IReadOnlySet<int>? knownMovieIds = null)
    {
        var tags = new List<MovieTag>();
        foreach (var (number, fields) in Records(path, "userId,movieId,tag,timestamp", 4))
        {
            var movieId = ParseId(fields[1], "movieId", path, number);
            if (knownMovieIds is not null && !knownMovieIds.Contains(movieId))
                throw new DataFormatException(path, number, $"movieId {movieId} is not in movies.csv.");
            tags.Add(new MovieTag(ParseId(fields[0], "userId", path, number), movieId, fields[2],
                long.TryParse(fields[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var t)
                    ? t
                    : throw new DataFormatException(path, number, $"timestamp must be an integer, got '{fields[3]}'.")));
        }
        return tags;
    }

    /// <summary>Columns userId, movieId (int), tag, timestamp (long).</summary>
    public static DataFrame ToDataFrame(IReadOnlyList<MovieTag> tags) => new(
        new Int32DataFrameColumn("userId", tags.Select(t => t.UserId)),
        new Int32DataFrameColumn("movieId", tags.Select(t => t.MovieId)),
        new StringDataFrameColumn("tag", tags.Select(t => t.Tag)),
        new Int64DataFrameColumn("timestamp", tags.Select(t => t.Timestamp)));

    // Ids are positive in every MovieLens release; 0 or a negative id is a corrupted row, not a new user.
    static int ParseId(string text, string column, string path, int number) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v > 0
            ? v
            : throw new DataFormatException(path, number, $"{column} must be an integer above 0, got '{text}'.");

    public static IReadOnlyList<Movie> LoadMoviesFile(string path)
    {
        var movies = new List<Movie>();
        foreach (var (number, fields) in Records(path, "movieId,title,genres", 3))
        {
            var id = ParseId(fields[0], "movieId", path, number);
            movies.Add(new Movie(id, fields[1], fields[2].Split('|')));
        }
        return movies;
    }

    /// <summary>Columns userId, movieId (int), rating (float), timestamp (long).</summary>
    public static DataFrame ToDataFrame(IReadOnlyList<MovieRating> ratings) => new(
        new Int32DataFrameColumn("userId", ratings.Select(r => r.UserId)),
        new Int32DataFrameColumn("movieId", ratings.Select(r => r.MovieId)),
        new SingleDataFrameColumn("rating", ratings.Select(r => r.Rating)),
        new Int64DataFrameColumn("timestamp", ratings.Select(r => r.Timestamp)));

    /// <summary>Columns movieId (int), title, genres ('|'-joined, as in the file).</summary>
    public static DataFrame ToDataFrame(IReadOnlyList<Movie> movies) => new(
        new Int32DataFrameColumn("movieId", movies.Select(m => m.MovieId)),
        new StringDataFrameColumn("title", movies.Select(m => m.Title)),
        new StringDataFrameColumn("genres", movies.Select(m => string.Join('|', m.Genres))));

    static IEnumerable<(int Number, List<string> Fields)> Records(string path, string header, int columns)
    {
        foreach (var (number, line) in LineReader.LinesAfterHeader(path, header))
        {
            var fields = CsvFields.Split(line, path, number);
            if (fields.Count != columns)
                throw new DataFormatException(path, number, $"expected {columns} comma-separated fields, got {fields.Count}.");
            yield return (number, fields);
        }
    }
}
