using System.Text;
using CourseKit.Data;

namespace CourseKit.Tests.Data;

/// <summary>Loaders on the real data; expected counts are the ones measured in each data set's SOURCE.md.</summary>
[KeepTensorsAlive]
public class LoaderTests(SharedDataFixture shared) : IClassFixture<SharedDataFixture>, IDisposable
{
    readonly Scratch _scratch = new();
    public void Dispose() => _scratch.Dispose();

    [Fact]
    public void Tiny_shakespeare_has_1115394_characters_in_40000_lines()
    {
        var text = TextCorpora.TinyShakespeare(_scratch.TempRegistry(withCommitted: true));
        Assert.Equal(1_115_394, text.Length);
        Assert.Equal(40_000, text.Count(c => c == '\n'));
        Assert.StartsWith("First Citizen:", text);
    }

    [Theory]
    [InlineData("valid", 3_760, 60, 217_646)]
    [InlineData("test", 4_358, 64, 245_569)]
    public void WikiText2_lines_articles_and_tokens_match_the_published_counts(string split, int lines, int articles, int tokensWithEos)
    {
        var text = TextCorpora.WikiText2Lines(split, _scratch.TempRegistry(withCommitted: true));
        Assert.Equal(lines, text.Count);
        Assert.Equal(articles, text.Count(l => l.StartsWith(" = ") && !l.StartsWith(" = = ")));
        var tokens = text.Sum(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(tokensWithEos, tokens + text.Count);
    }

    [Fact]
    public void WikiText2_train_split_is_refused_with_a_reason()
    {
        var ex = Assert.Throws<ArgumentException>(() => TextCorpora.WikiText2Lines("train", _scratch.TempRegistry(withCommitted: true)));
        Assert.Contains("train split is not part", ex.Message);
    }

    [Fact]
    public void Sst2_dev_has_872_examples_444_positive()
    {
        var dev = Sst2.Load("dev", shared.With("sst2-glue"));
        Assert.Equal(872, dev.Count);
        Assert.Equal(444, dev.Count(e => e.Label == 1));
        Assert.Equal(428, dev.Count(e => e.Label == 0));
        Assert.Equal("it 's a charming and often affecting journey .", dev[0].Sentence);
        Assert.Equal(1, dev[0].Label);

        var frame = Sst2.ToDataFrame(dev);
        Assert.Equal(872, frame.Rows.Count);
        Assert.Equal(444, frame.Columns["label"].Cast<int?>().Sum());
    }

    [Fact]
    public void Sst2_train_and_test_match_GLUE_sizes()
    {
        var registry = shared.With("sst2-glue");
        var train = Sst2.Load("train", registry);
        Assert.Equal(67_349, train.Count);
        Assert.Equal(37_569, train.Count(e => e.Label == 1));
        var test = Sst2.LoadTest(registry);
        Assert.Equal(1_821, test.Count);
        Assert.Equal(Enumerable.Range(0, 1_821), test.Select(t => t.Index));
    }

    [Theory]
    [InlineData("sentence\tlabel\na fine film \t1\na dull film \t2\n", 3, "label must be 0 or 1")]
    [InlineData("sentence\tlabel\na fine film \t1\na dull film 0\n", 3, "2 tab-separated fields")]
    [InlineData("text\tlabel\na fine film \t1\n", 1, "header")]
    public void Malformed_sst2_rows_name_the_file_and_line(string content, int line, string problem)
    {
        var path = _scratch.WriteFile("bad.tsv", content);
        var ex = Assert.Throws<DataFormatException>(() => Sst2.LoadFile(path));
        Assert.Equal(line, ex.Line);
        Assert.Contains($"{path}:{line}:", ex.Message);
        Assert.Contains(problem, ex.Message);
    }

    [Theory]
    [InlineData(PhraseBankAgreement.All, 2_264, 1_391, 570, 303)]
    [InlineData(PhraseBankAgreement.AtLeast75, 3_453, 2_146, 887, 420)]
    [InlineData(PhraseBankAgreement.AtLeast66, 4_217, 2_535, 1_168, 514)]
    [InlineData(PhraseBankAgreement.AtLeast50, 4_846, 2_879, 1_363, 604)]
    public void PhraseBank_counts_per_agreement_level(PhraseBankAgreement agreement, int total, int neutral, int positive, int negative)
    {
        var examples = FinancialPhraseBank.Load(agreement, shared.With("financial-phrasebank"));
        Assert.Equal(total, examples.Count);
        Assert.Equal(neutral, examples.Count(e => e.Label == FinancialSentiment.Neutral));
        Assert.Equal(positive, examples.Count(e => e.Label == FinancialSentiment.Positive));
        Assert.Equal(negative, examples.Count(e => e.Label == FinancialSentiment.Negative));
    }

    [Fact]
    public void PhraseBank_encodings_are_detected_per_file()
    {
        // AllAgree (UTF-8 in this copy) is a subset of 50Agree (Latin-1): with the right decoding for each file,
        // every AllAgree sentence, including the 47 with non-ASCII characters, appears verbatim in 50Agree.
        var registry = shared.With("financial-phrasebank");
        var local = registry.Require("financial-phrasebank");
        TextEncodingDetector.ReadAllText(local.File("Sentences_AllAgree.txt"), out var allEncoding);
        TextEncodingDetector.ReadAllText(local.File("Sentences_50Agree.txt"), out var fiftyEncoding);
        Assert.Equal(Encoding.UTF8.WebName, allEncoding.WebName);
        Assert.Equal(Encoding.Latin1.WebName, fiftyEncoding.WebName);

        var all = FinancialPhraseBank.Load(PhraseBankAgreement.All, registry);
        var fifty = FinancialPhraseBank.Load(PhraseBankAgreement.AtLeast50, registry).ToHashSet();
        Assert.Equal(47, all.Count(e => e.Sentence.Any(c => c > 127)));
        Assert.All(all, e => Assert.Contains(e, fifty));
    }

    [Fact]
    public void Encoding_detector_tells_utf8_from_latin1()
    {
        Assert.Equal(Encoding.UTF8.WebName, TextEncodingDetector.Detect(Encoding.UTF8.GetBytes("Seppälä café")).WebName);
        Assert.Equal(Encoding.Latin1.WebName, TextEncodingDetector.Detect(Encoding.Latin1.GetBytes("Seppälä café")).WebName);
        Assert.Equal(Encoding.UTF8.WebName, TextEncodingDetector.Detect("plain ascii"u8).WebName);
    }

    [Theory]
    [InlineData("Profit rose .@positive\nNo label here\n", 2, "no '@'")]
    [InlineData("Profit rose .@positive\nSales fell .@bad\n", 2, "positive, neutral or negative")]
    [InlineData("@neutral\n", 1, "empty sentence")]
    public void Malformed_phrasebank_lines_name_the_file_and_line(string content, int line, string problem)
    {
        var path = _scratch.WriteFile("Sentences_bad.txt", content, Encoding.Latin1);
        var ex = Assert.Throws<DataFormatException>(() => FinancialPhraseBank.LoadFile(path));
        Assert.Equal(line, ex.Line);
        Assert.Contains($"{path}:{line}:", ex.Message);
        Assert.Contains(problem, ex.Message);
    }

    [Fact]
    public void MovieLens_ratings_and_movies_match_the_README_counts()
    {
        var registry = shared.With("movielens-ml-latest-small");
        var ratings = MovieLens.LoadRatings(registry);
        Assert.Equal(100_836, ratings.Count);
        Assert.Equal(610, ratings.Select(r => r.UserId).Distinct().Count());
        Assert.Equal(9_724, ratings.Select(r => r.MovieId).Distinct().Count());
        Assert.All(ratings, r => Assert.InRange(r.Rating, 0.5f, 5f));

        var movies = MovieLens.LoadMovies(registry);
        Assert.Equal(9_742, movies.Count);
        var toyStory = movies.Single(m => m.MovieId == 1);
        Assert.Equal("Toy Story (1995)", toyStory.Title);
        Assert.Equal(new[] { "Adventure", "Animation", "Children", "Comedy", "Fantasy" }, toyStory.Genres);
        // Quoted titles: a comma inside quotes, and doubled quotes.
        Assert.Contains(movies, m => m.Title == "American President, The (1995)");
        Assert.Equal("11'09\"01 - September 11 (2002)", movies.Single(m => m.MovieId == 7789).Title);

        var frame = MovieLens.ToDataFrame(ratings);
        Assert.Equal(100_836, frame.Rows.Count);
    }

    [Theory]
    [InlineData("movieId,title,genres\n1,\"Toy Story (1995),Comedy\n", 2, "unterminated quoted field")]
    [InlineData("movieId,title,genres\n1,Toy Story (1995)\n", 2, "3 comma-separated fields")]
    [InlineData("movieId,title,genres\n1,Heat (1995),Action\nx,Jumanji (1995),Fantasy\n", 3, "movieId must be an integer")]
    public void Malformed_movies_rows_name_the_file_and_line(string content, int line, string problem)
    {
        var path = _scratch.WriteFile("movies.csv", content);
        var ex = Assert.Throws<DataFormatException>(() => MovieLens.LoadMoviesFile(path));
        Assert.Equal(line, ex.Line);
        Assert.Contains(problem, ex.Message);
    }
}
