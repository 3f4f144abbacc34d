using CourseKit.Data;

namespace CourseKit.Tests.Data;

/// <summary>The CoNLL-2003 reader on the real files; expected counts are those measured in the data set's SOURCE.md
/// and the article's classification-report supports.</summary>
[KeepTensorsAlive]
public class ConllTests(SharedDataFixture shared) : IClassFixture<SharedDataFixture>, IDisposable
{
    readonly Scratch _scratch = new();
    public void Dispose() => _scratch.Dispose();

    // Each split read once per test run in each form (the train split is 200k lines).
    static readonly System.Collections.Concurrent.ConcurrentDictionary<(string, TagScheme, bool), Lazy<IReadOnlyList<ConllSentence>>> Loaded = new();
    IReadOnlyList<ConllSentence> Load(string split, TagScheme scheme, bool fromOriginalIob1 = false) =>
        Loaded.GetOrAdd((split, scheme, fromOriginalIob1), _ => new(() => Conll2003.Load(split, scheme, shared.With("conll2003"), fromOriginalIob1))).Value;

    [Theory]
    [InlineData("train", 946, 14_041, 203_621, 7_140, 6_321, 6_600, 3_438)]
    [InlineData("valid", 216, 3_250, 51_362, 1_837, 1_341, 1_842, 922)]
    [InlineData("test", 231, 3_453, 46_435, 1_668, 1_661, 1_617, 702)]
    public void Splits_have_the_counts_of_SOURCE_md(string split, int docs, int sentences, int tokens, int loc, int org, int per, int misc)
    {
        foreach (var fromIob1 in new[] { false, true })
        {
            var data = Load(split, TagScheme.Iob2, fromIob1);
            var counts = ConllCounts.Of(data);
            Assert.Equal(docs, counts.Documents);
            Assert.Equal(sentences, counts.Sentences);
            Assert.Equal(tokens, counts.Tokens);
            Assert.Equal(loc, counts.EntitiesPerType["LOC"]);
            Assert.Equal(org, counts.EntitiesPerType["ORG"]);
            Assert.Equal(per, counts.EntitiesPerType["PER"]);
            Assert.Equal(misc, counts.EntitiesPerType["MISC"]);
            Assert.Equal(loc + org + per + misc, counts.Entities);
        }
    }

    [Theory]
    [InlineData("train")]
    [InlineData("valid")]
    [InlineData("test")]
    public void Original_iob1_files_converted_equal_the_iob2_files_in_every_sentence(string split)
    {
        var iob2 = Load(split, TagScheme.Iob2);
        var converted = Load(split, TagScheme.Iob2, fromOriginalIob1: true);
        Assert.Equal(iob2.Count, converted.Count);
        for (int i = 0; i < iob2.Count; i++)
        {
            Assert.Equal(iob2[i].Words, converted[i].Words);
            Assert.Equal(iob2[i].Pos, converted[i].Pos);
            Assert.Equal(iob2[i].Tags, converted[i].Tags);
            Assert.Equal(iob2[i].Chunk, converted[i].Chunk);
            Assert.Equal(iob2[i].DocumentIndex, converted[i].DocumentIndex);
        }
        // And back: IOB2 -> IOB1 gives the original tags, except where the original has a B-X that does not follow
        // an X entity (not valid IOB1; the conversion to IOB2 keeps it, the way back writes I-X).
        var original = Load(split, TagScheme.Iob1, fromOriginalIob1: true);
        var back = Load(split, TagScheme.Iob1);
        int irregular = 0;
        for (int i = 0; i < original.Count; i++)
        {
            Assert.Equal(iob2[i].Tags, TagSchemes.Iob1ToIob2(back[i].Tags));
            for (int j = 0; j < original[i].Length; j++)
            {
                if (original[i].Tags[j] == back[i].Tags[j]) continue;
                irregular++;
                var type = original[i].Tags[j][2..];
                Assert.Equal("B-" + type, original[i].Tags[j]);
                Assert.Equal("I-" + type, back[i].Tags[j]);
                Assert.True(j == 0 || !original[i].Tags[j - 1].EndsWith("-" + type), $"sentence {i} word {j}");
            }
        }
        Assert.True(irregular < 20, $"{irregular} irregular IOB1 tags");
    }

    [Fact]
    public void Test_split_tag_counts_equal_the_article_supports()
    {
        var test = Load("test", TagScheme.Iob2);
        var counts = test.SelectMany(s => s.Tags).GroupBy(t => t).ToDictionary(g => g.Key, g => g.Count());
        var expected = new Dictionary<string, int>
        {
            ["B-LOC"] = 1668, ["I-LOC"] = 257, ["B-MISC"] = 702, ["I-MISC"] = 216, ["B-ORG"] = 1661,
            ["I-ORG"] = 835, ["B-PER"] = 1617, ["I-PER"] = 1156, ["O"] = 38323,
        };
        Assert.Equal(expected.OrderBy(kv => kv.Key), counts.OrderBy(kv => kv.Key));
        Assert.Equal(46_435, counts.Values.Sum());
    }

    [Fact]
    public void First_test_sentence_is_read_with_its_columns_document_and_line()
    {
        var test = Load("test", TagScheme.Iob2);
        var first = test[0];
        Assert.Equal(new[] { "SOCCER", "-", "JAPAN", "GET", "LUCKY", "WIN", ",", "CHINA", "IN", "SURPRISE", "DEFEAT", "." }, first.Words);
        Assert.Equal(new[] { "O", "O", "B-LOC", "O", "O", "O", "O", "B-PER", "O", "O", "O", "O" }, first.Tags);
        Assert.Equal("NN", first.Pos[0]);
        Assert.Equal("B-NP", first.Chunk[0]);
        Assert.Equal(3, first.FirstLine);
        Assert.Equal(0, first.DocumentIndex);
        Assert.Equal(new[] { 0, 0, 5, 0, 0, 0, 0, 1, 0, 0, 0, 0 }, first.TagIds);
        Assert.Equal(230, test[^1].DocumentIndex);
    }

    [Fact]
    public void Iob_conversions_follow_the_scheme_definitions()
    {
        // IOB1: two touching PER entities are I-PER I-PER B-PER; IOB2 starts both with B-.
        string[] iob1 = ["I-PER", "I-PER", "B-PER", "O", "I-LOC", "I-ORG", "I-ORG", "B-ORG", "I-ORG"];
        string[] iob2 = ["B-PER", "I-PER", "B-PER", "O", "B-LOC", "B-ORG", "I-ORG", "B-ORG", "I-ORG"];
        Assert.Equal(iob2, TagSchemes.Iob1ToIob2(iob1));
        Assert.Equal(iob1, TagSchemes.Iob2ToIob1(iob2));
        Assert.Null(TagSchemes.FindViolation(iob2, TagScheme.Iob2));
        Assert.Null(TagSchemes.FindViolation(iob1, TagScheme.Iob1));
        Assert.Equal(0, TagSchemes.FindViolation(iob1, TagScheme.Iob2)!.Value.Index);
        Assert.Equal(0, TagSchemes.FindViolation(iob2, TagScheme.Iob1)!.Value.Index);
    }

    [Fact]
    public void Label_ids_have_one_fixed_order()
    {
        Assert.Equal(new[] { "O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC" }, NerLabels.All);
        for (int id = 0; id < NerLabels.Count; id++) Assert.Equal(id, NerLabels.Id(NerLabels.Name(id)));
        Assert.Equal(NerLabels.Id("I-LOC"), NerLabels.InsideOf(NerLabels.Id("B-LOC")));
        Assert.Equal(NerLabels.Id("I-LOC"), NerLabels.InsideOf(NerLabels.Id("I-LOC")));
        Assert.Equal(0, NerLabels.InsideOf(0));
        Assert.Throws<ArgumentException>(() => NerLabels.Id("B-DATE"));
    }

    [Theory]
    [InlineData("EU NNP B-NP B-ORG\nrejects VBZ B-VP O O\n", 2, "4 space-separated columns")]
    [InlineData("EU NNP B-NP B-ORG\nrejects VBZ B-VP\n", 2, "got 3")]
    [InlineData("EU NNP B-NP B-ORG\n\nGerman JJ B-NP B-DATE\n", 3, "unknown NER tag 'B-DATE'")]
    [InlineData("EU NNP B-NP B-ORG\nrejects VBZ B-VP O\nGerman JJ B-NP I-MISC\n", 3, "I-MISC after O")]
    [InlineData("EU NNP B-NP B-ORG\nBank NNP I-NP I-LOC\n", 2, "I-LOC after B-ORG")]
    [InlineData("-DOCSTART- -X- -X- O\n\nPeter NNP B-NP I-PER\n", 3, "I-PER after the sentence start")]
    [InlineData("EU NNP B-NP B-ORG\n-DOCSTART- -X- -X- O\n", 2, "-DOCSTART- inside a sentence")]
    [InlineData("EU NNP  B-ORG\n", 1, "empty column")]
    [InlineData("EU NNP NP B-ORG\n", 1, "chunk tag 'NP'")]
    public void Malformed_conll_lines_name_the_file_and_line(string content, int line, string problem)
    {
        var path = _scratch.WriteFile("bad.conll", content);
        var ex = Assert.Throws<DataFormatException>(() => Conll.ReadFile(path));
        Assert.Equal(line, ex.Line);
        Assert.Equal(path, ex.FilePath);
        Assert.Contains($"{path}:{line}:", ex.Message);
        Assert.Contains(problem, ex.Message);
    }

    [Fact]
    public void Non_strict_mode_accepts_iob1_style_starts_in_an_iob2_file()
    {
        var path = _scratch.WriteFile("loose.conll", "Peter NNP B-NP I-PER\nBlackburn NNP I-NP I-PER\n\n\n\nBonn NNP B-NP B-LOC\n");
        var sentences = Conll.ReadFile(path, TagScheme.Iob2, strict: false);
        Assert.Equal(2, sentences.Count);
        Assert.Equal(new[] { "I-PER", "I-PER" }, sentences[0].Tags);
        Assert.Equal(6, sentences[1].FirstLine);
        Assert.Throws<DataFormatException>(() => Conll.ReadFile(path));
    }

    [Fact]
    public void Sentences_before_the_first_docstart_are_a_document_of_their_own()
    {
        var text = "EU NNP B-NP B-ORG\n\n-DOCSTART- -X- -X- O\n\nPeter NNP B-NP B-PER\n\n-DOCSTART- -X- -X- O\n\nBonn NNP B-NP B-LOC\n";
        Assert.Equal([0, 1, 2], Conll.ParseText(text, "no-leading-docstart.txt").Select(s => s.DocumentIndex));
        Assert.Equal([0, 1], Conll.ParseText(text[text.IndexOf("-DOCSTART-")..], "leading-docstart.txt").Select(s => s.DocumentIndex));
    }

    [Fact]
    public void Unknown_split_is_refused()
    {
        var ex = Assert.Throws<ArgumentException>(() => Conll2003.Load("dev2", registry: shared.With("conll2003")));
        Assert.Contains("train, valid or test", ex.Message);
    }
}
