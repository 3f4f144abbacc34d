using CourseKit.Data;
using CourseKit.Native;
using CourseKit.Text;
using CourseKit.Tasks.Pretraining;
using CourseKit.Tasks.SequenceClassification;

namespace CourseKit.Tests.Tasks.Pretraining;

[KeepTensorsAlive]
public class PretrainingCorpusTests
{
    public PretrainingCorpusTests() => TorchRuntime.Initialize();

    internal static BertTextTokenizer Tokenizer() =>
        BertTextTokenizer.Cased(TestPaths.InRepo("datasets", "bert-vocab", "bert-base-cased-vocab.txt"));

    static PretrainingCorpus Build(BertTextTokenizer tokenizer, int maxSentences, params string[] sources) =>
        PretrainingCorpus.Build(tokenizer, new PretrainingCorpusOptions { Sources = sources, MaxSentencesPerSource = maxSentences, MaxLength = 64 });

    [Fact]
    public void Packed_sequences_hold_exactly_the_tokenized_text_in_order()
    {
        var tokenizer = Tokenizer();
        var corpus = Build(tokenizer, 120, PretrainingCorpusSources.TinyShakespeare);
        // Independently: tokenize the first 120 speeches with the high-level Encode and concatenate.
        var expected = PretrainingCorpusSources.ShakespeareSpeeches(TextCorpora.TinyShakespeare()).Take(120)
            .SelectMany(s => tokenizer.Encode(s, new EncodeOptions { AddSpecialTokens = false, Truncation = false }).InputIds).ToList();
        var actual = corpus.Train.Concat(corpus.HeldOut)
            .SelectMany(s => s.Ids.Where(id => id != tokenizer.ClsId && id != tokenizer.SepId)).ToList();
        Assert.Equal(expected, actual);

        var stats = Assert.Single(corpus.Sources);
        Assert.Equal(120, stats.Sentences);
        Assert.Equal(expected.Count, stats.Tokens);
        Assert.Equal(stats.Sequences, stats.TrainSequences + stats.HeldOutSequences);
        Assert.Equal(corpus.Train.Count, stats.TrainSequences);
        Assert.Equal(corpus.TrainTokens, stats.TrainTokens);
        Assert.Equal(corpus.HeldOutTokens, stats.HeldOutTokens);
        Assert.All(corpus.Train.Concat(corpus.HeldOut), s =>
        {
            Assert.InRange(s.Ids.Length, 3, 64);
            Assert.Equal(tokenizer.ClsId, s.Ids[0]);
            Assert.Equal(tokenizer.SepId, s.Ids[^1]);
        });
    }

    [Fact]
    public void Each_source_holds_out_its_last_five_percent_disjoint_from_train()
    {
        var tokenizer = Tokenizer();
        var corpus = Build(tokenizer, 400, PretrainingCorpusSources.WikiText2Valid, PretrainingCorpusSources.TinyShakespeare);
        Assert.Equal(2, corpus.Sources.Count);
        foreach (var s in corpus.Sources)
        {
            Assert.Equal((int)Math.Round(s.Sequences * 0.05), s.HeldOutSequences);
            Assert.True(s.HeldOutSequences >= 1);
        }
        Assert.Equal(corpus.Sources.Sum(s => s.TrainSequences), corpus.Train.Count);
        Assert.Equal(corpus.Sources.Sum(s => s.HeldOutSequences), corpus.HeldOut.Count);
        var train = corpus.Train.Select(s => string.Join(',', s.Ids)).ToHashSet();
        Assert.DoesNotContain(corpus.HeldOut, s => train.Contains(string.Join(',', s.Ids)));
        // Every sequence counted once: the table's total tokens (no specials) equal the non-special ids of all sequences.
        long nonSpecial = corpus.Train.Concat(corpus.HeldOut).Sum(s => (long)s.Ids.Count(id => id != tokenizer.ClsId && id != tokenizer.SepId));
        Assert.Equal(corpus.Sources.Sum(s => s.Tokens), nonSpecial);
        Assert.Contains("total", corpus.ToTable());
        Assert.Equal(3, corpus.ToDataFrame().Rows.Count);
    }

    [Fact]
    public void Building_twice_gives_the_same_corpus()
    {
        var tokenizer = Tokenizer();
        var a = Build(tokenizer, 200, PretrainingCorpusSources.WikiText2Test);
        var b = Build(tokenizer, 200, PretrainingCorpusSources.WikiText2Test);
        Assert.Equal(a.Train.Select(s => s.Ids), b.Train.Select(s => s.Ids));
        Assert.Equal(a.HeldOut.Select(s => s.Ids), b.HeldOut.Select(s => s.Ids));
        Assert.Equal(a.ToJson(), b.ToJson());
    }

    [Fact]
    public void Word_starts_follow_the_wordpiece_continuation_marker()
    {
        var tokenizer = Tokenizer();
        var corpus = Build(tokenizer, 50, PretrainingCorpusSources.TinyShakespeare);
        var vocab = File.ReadAllLines(tokenizer.VocabPath);
        Assert.All(corpus.Train, s =>
        {
            for (int i = 0; i < s.Ids.Length; i++) Assert.Equal(!vocab[s.Ids[i]].StartsWith("##"), s.WordStarts[i]);
        });
    }

    [Fact]
    public void WikiText_paragraphs_drop_titles_and_join_split_markers()
    {
        string[] lines = [" = Valkyria = ", "", " = = Gameplay = = ", " The game 's real @-@ time , 1 @,@ 000 @.@ 5 units . ", " "];
        Assert.Equal(["The game 's real-time , 1,000.5 units ."], PretrainingCorpusSources.WikiTextParagraphs(lines));
    }

    [Fact]
    public void Shakespeare_speeches_are_blank_line_separated_blocks()
    {
        Assert.Equal(["First Citizen: Before we proceed, hear me.", "All: Speak, speak."],
            PretrainingCorpusSources.ShakespeareSpeeches("First Citizen:\nBefore we proceed,\nhear me.\n\nAll:\nSpeak, speak.\n"));
    }

    [Fact]
    public void Conll_sentences_are_first_columns_between_blank_lines()
    {
        var dir = TestPaths.NewTempDir();
        var path = Path.Combine(dir, "train.txt");
        File.WriteAllText(path, "-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\nPeter NNP B-NP B-PER\nBlackburn NNP I-NP I-PER\n");
        Assert.Equal(["EU rejects", "Peter Blackburn"], PretrainingCorpusSources.ConllSentences(path));
    }

    [Fact]
    public void Asking_for_an_unknown_source_names_the_known_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => PretrainingCorpusSources.Get("wikitext-103"));
        Assert.Contains("tiny-shakespeare", e.Message);
    }

    [Fact]
    public void Excluded_sentences_are_never_packed()
    {
        var tokenizer = Tokenizer();
        var speeches = PretrainingCorpusSources.ShakespeareSpeeches(TextCorpora.TinyShakespeare()).Take(50).ToList();
        var excluded = new HashSet<string>(speeches.Where((_, i) => i % 3 == 0), StringComparer.Ordinal);
        var corpus = PretrainingCorpus.Build(tokenizer, new PretrainingCorpusOptions
        {
            Sources = [PretrainingCorpusSources.TinyShakespeare], MaxSentencesPerSource = 50, MaxLength = 64, ExcludeSentences = excluded,
        });
        var expected = speeches.Where(s => !excluded.Contains(s)).Take(50)
            .SelectMany(s => tokenizer.Encode(s, new EncodeOptions { AddSpecialTokens = false, Truncation = false }).InputIds).ToList();
        var actual = corpus.Train.Concat(corpus.HeldOut)
            .SelectMany(s => s.Ids.Where(id => id != tokenizer.ClsId && id != tokenizer.SepId)).Take(expected.Count).ToList();
        Assert.Equal(expected, actual);
        Assert.Equal(50, corpus.Sources.Single().Sentences); // 50 read after the exclusion, not 50 minus the excluded
    }

    [Fact]
    public void The_evaluation_sentences_of_the_fine_tuning_tasks_are_left_out_of_the_course_corpus()
    {
        var registry = DataRegistry.Default;
        Assert.True(registry.IsAvailable("financial-phrasebank"), "tests/run.sh fills the data cache");
        var held = CourseKit.Tasks.SequenceClassification.FineTuningData.EvaluationSentences(registry);
        var phrasebank = CourseKit.Tasks.SequenceClassification.FineTuningData.Load(new CourseKit.Tasks.SequenceClassification.FineTuneOptions { Agreement = PhraseBankAgreement.All });
        Assert.All(phrasebank.Test.Concat(phrasebank.Validation), e => Assert.Contains(e.Text, held));
        Assert.DoesNotContain(phrasebank.Train[0].Text, held);
        // The split no longer moves with the training seed.
        var otherSeed = CourseKit.Tasks.SequenceClassification.FineTuningData.Load(new CourseKit.Tasks.SequenceClassification.FineTuneOptions { Agreement = PhraseBankAgreement.All, Seed = 7 });
        Assert.Equal(phrasebank.Test.Select(e => e.Id), otherSeed.Test.Select(e => e.Id));

        var recipe = CourseKit.Tasks.Pretraining.PretrainingRecipes.Bert(Profile.Full);
        Assert.Equal(held.Count, recipe.Corpus.ExcludeSentences!.Count);
        var source = PretrainingCorpusSources.Get(PretrainingCorpusSources.FinancialPhraseBank);
        var read = source.ReadSentences(registry).Where(s => !recipe.Corpus.ExcludeSentences.Contains(s)).ToHashSet();
        Assert.DoesNotContain(phrasebank.Test[0].Text, read);
    }
}
