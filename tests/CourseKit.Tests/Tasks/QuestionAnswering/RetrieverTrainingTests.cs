using CourseKit.Models;
using CourseKit.Tests.Models;
using CourseKit.Tasks.QuestionAnswering;
using CourseKit.Tests.Tasks.SequenceClassification;

namespace CourseKit.Tests.Tasks.QuestionAnswering;

[Collection(TorchGlobalRngCollection.Name)]
[KeepTensorsAlive]
public class RetrieverTrainingTests(TinyBertFixture tiny) : IClassFixture<TinyBertFixture>
{
    const string Prompt = "query: ";

    [Fact]
    public void Batches_hold_every_question_once_with_its_own_paragraph_among_distinct_ones()
    {
        var data = QaTestSupport.XquadEn.Subset([0, 1, 2, 3]);
        var batches = RetrieverTraining.Batches(data, data.Questions, Prompt, batchSize: 16, seed: 7);
        var byQuestion = data.Questions.ToLookup(q => Prompt + q.Question);
        var context = data.Paragraphs.ToDictionary(p => p.Index, p => p.Context);
        var seen = new List<string>();
        foreach (var batch in batches)
        {
            Assert.InRange(batch.Queries.Count, 1, 16);
            Assert.Equal(batch.Paragraphs.Count, batch.Paragraphs.Distinct().Count());
            Assert.True(batch.Paragraphs.Count >= 2);
            for (int i = 0; i < batch.Queries.Count; i++)
            {
                Assert.StartsWith(Prompt, batch.Queries[i]);
                // The gold index points at the question's own paragraph (any of the questions sharing this text).
                Assert.Contains(byQuestion[batch.Queries[i]], q => context[q.ParagraphIndex] == batch.Paragraphs[(int)batch.Gold[i]]);
            }
            seen.AddRange(batch.Queries);
        }
        Assert.Equal(data.Questions.Select(q => Prompt + q.Question).Order(), seen.Order());
        var again = RetrieverTraining.Batches(data, data.Questions, Prompt, 16, seed: 7);
        Assert.Equal(batches.SelectMany(b => b.Queries), again.SelectMany(b => b.Queries));
        var other = RetrieverTraining.Batches(data, data.Questions, Prompt, 16, seed: 8);
        Assert.NotEqual(batches.SelectMany(b => b.Queries), other.SelectMany(b => b.Queries));
    }

    [Fact]
    public void Grouped_batches_take_one_article_at_a_time_so_negatives_come_from_the_same_article()
    {
        var data = QaTestSupport.XquadEn.Subset([0, 1, 2, 3, 4, 5]);
        var article = data.Questions.GroupBy(q => Prompt + q.Question).ToDictionary(g => g.Key, g => g.First().ArticleIndex);
        int Changes(IEnumerable<RetrieverBatch> batches)
        {
            var sequence = batches.SelectMany(b => b.Queries).Select(q => article[q]).ToArray();
            return sequence.Zip(sequence.Skip(1)).Count(p => p.First != p.Second);
        }
        Assert.Equal(5, Changes(RetrieverTraining.Batches(data, data.Questions, Prompt, 16, seed: 1)));        // 6 articles, one run each
        Assert.True(Changes(RetrieverTraining.Batches(data, data.Questions, Prompt, 16, seed: 1, groupByArticle: false)) > 20);
    }

    [Fact]
    public void A_batch_size_below_two_is_refused()
    {
        var data = QaTestSupport.XquadEn.Subset([0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => RetrieverTraining.Batches(data, data.Questions, "", 1, 0));
    }

    [Fact]
    public void Training_lowers_the_in_batch_ranking_loss()
    {
        var data = QaTestSupport.XquadEn.Subset([0, 1]);
        var questions = data.Questions.Take(32).ToArray();
        using var encoder = new SentenceEncoder(BertModel.FromPretrained(tiny.ModelDir), tiny.Tokenizer);
        var losses = RetrieverTraining.Train(encoder, data, questions,
            new RetrieverTrainingOptions { Epochs = 8, BatchSize = 8, LearningRate = 1e-3, MaxParagraphTokens = 48, Seed = 5 });
        int perEpoch = losses.Count / 8;
        Assert.True(perEpoch >= 3, $"{losses.Count} steps");
        double first = losses.Take(perEpoch).Average(), last = losses.TakeLast(perEpoch).Average();
        Assert.True(last < 0.7 * first, $"loss {first:F3} in the first epoch, {last:F3} in the last");
        Assert.False(encoder.Model.training);                                                   // left in eval mode
    }

    [Fact]
    public void After_each_epoch_the_callback_sees_the_model_a_run_of_that_many_epochs_ends_with()
    {
        var data = QaTestSupport.XquadEn.Subset([0, 1]);
        var questions = data.Questions.Take(24).ToArray();
        var options = new RetrieverTrainingOptions { Epochs = 2, BatchSize = 8, LearningRate = 1e-3, MaxParagraphTokens = 48, Seed = 5 };
        string[] probe = ["Where does the Rhine rise?", "The Rhine rises in the Swiss Alps."];
        float[] Embed(SentenceEncoder encoder) { using var e = encoder.Encode(probe); return e.data<float>().ToArray(); }
        SentenceEncoder Fresh() => new(BertModel.FromPretrained(tiny.ModelDir), tiny.Tokenizer);

        var seen = new List<(int Epoch, bool Training, float[] Embedding)>();
        using var watched = Fresh();
        RetrieverTraining.Train(watched, data, questions, options, epoch => seen.Add((epoch, watched.Model.training, Embed(watched))));
        using var oneEpoch = Fresh();
        RetrieverTraining.Train(oneEpoch, data, questions, options with { Epochs = 1 });
        using var unwatched = Fresh();
        RetrieverTraining.Train(unwatched, data, questions, options);

        Assert.Equal([1, 2], seen.Select(s => s.Epoch));
        Assert.All(seen, s => Assert.False(s.Training));                                   // evaluated without dropout
        Assert.Equal(Embed(oneEpoch), seen[0].Embedding, (x, y) => Math.Abs(x - y) < 1e-6f);
        // Watching changes nothing: dropout is back on for epoch 2, so both two-epoch runs end alike.
        Assert.Equal(Embed(unwatched), Embed(watched), (x, y) => Math.Abs(x - y) < 1e-6f);
        Assert.NotEqual(seen[0].Embedding, seen[1].Embedding, (x, y) => Math.Abs(x - y) < 1e-6f);
    }

    [Fact]
    public void A_saved_retriever_loads_back_with_its_weights_pooling_length_and_prompt()
    {
        var prompts = new Dictionary<string, string> { [SentencePrompts.Query] = "find: " };
        using var encoder = new SentenceEncoder(BertModel.FromPretrained(tiny.ModelDir), tiny.Tokenizer, SentencePooling.Cls, 48, prompts);
        var dir = tiny.NewDir("saved-retriever");
        encoder.Save(dir);
        using var loaded = SentenceEncoder.Load(dir);
        Assert.Equal((SentencePooling.Cls, 48, "find: "), (loaded.Pooling, loaded.MaxLength, loaded.QueryPrompt));
        string[] texts = ["Where does the Rhine rise?", "The Rhine rises in the Swiss Alps."];
        using var a = encoder.EncodeQueries(texts);
        using var b = loaded.EncodeQueries(texts);
        Assert.True(a.sub(b).abs().max().item<float>() < 1e-6);
    }
}
