using CourseKit.Data;
using CourseKit.Models;
using CourseKit.Reporting;
using CourseKit.Text;
using CourseKit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tasks.QuestionAnswering;

/// <summary>How a retriever is fine-tuned: sentence-transformers' MultipleNegativesRankingLoss (scale 20) with AdamW
/// over batches of question–paragraph pairs, at a constant rate without warm-up (sentence-transformers' fit decays
/// its rate linearly instead). The rate and epoch count were chosen for all-MiniLM-L6-v2 on XQuAD on validation articles
/// nested in fold 0 (<c>qa retriever --nested-in 0 --eval-each-epoch</c>, 958 validation questions over 5 inner folds):
/// recall@1 after epochs 1–4 was 0.914 / <b>0.920</b> / 0.915 / 0.918 at 2e-5 and 0.909 / 0.913 / 0.910 / 0.913 at 5e-5.</summary>
public sealed record RetrieverTrainingOptions
{
    public int Epochs { get; init; } = 2;
    public int BatchSize { get; init; } = 16;
    public double LearningRate { get; init; } = 2e-5;
    /// <summary>Cosines are multiplied by this before the softmax (sentence-transformers' default 20: a temperature of 0.05).</summary>
    public double Scale { get; init; } = 20;
    /// <summary>Paragraphs are truncated here while training (queries are short).</summary>
    public int MaxParagraphTokens { get; init; } = 256;
    public int Seed { get; init; } = 42;
    /// <summary>Fill each batch with one article's questions (articles in random order), so the negatives are the other
    /// paragraphs of the same article: the ones a retriever confuses. Random batches of 8 from 48 articles mostly hold
    /// paragraphs the untuned encoder already tells apart (measured: loss 0.02 from the first step, no gain).</summary>
    public bool GroupByArticle { get; init; } = true;
}

/// <summary>One training batch: the questions, the distinct gold paragraphs among them, and for each question the
/// position of its own paragraph in that list.</summary>
public sealed record RetrieverBatch(IReadOnlyList<string> Queries, IReadOnlyList<string> Paragraphs, IReadOnlyList<long> Gold);

/// <summary>
/// Fine-tunes a sentence encoder as a retriever on (question, gold paragraph) pairs with in-batch negatives
/// (MultipleNegativesRankingLoss; Henderson et al. 2017, Karpukhin et al. 2020): each question must score its own
/// paragraph above every other paragraph of the batch, a cross-entropy over scaled cosines. A paragraph appears once
/// per batch even when several of its questions are there, so no question is pushed away from its own answer.
/// Queries get the model's query prompt, as at retrieval time.
/// </summary>
public static class RetrieverTraining
{
    /// <summary>The pairs in seeded random order, cut into batches of <see cref="RetrieverTrainingOptions.BatchSize"/> questions.</summary>
    public static IReadOnlyList<RetrieverBatch> Batches(SquadDataset data, IReadOnlyList<SquadQuestion> questions, string queryPrompt, int batchSize, int seed,
        bool groupByArticle = true)
    {
        if (batchSize < 2) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "in-batch negatives need at least 2 questions a batch");
        var context = data.Paragraphs.ToDictionary(p => p.Index, p => p.Context);
        var rng = new Random(seed);
        var order = questions.ToArray();
        rng.Shuffle(order);
        if (groupByArticle)
        {
            var articles = order.Select(q => q.ArticleIndex).Distinct().ToArray();
            rng.Shuffle(articles);
            var rank = articles.Select((a, i) => (a, i)).ToDictionary(x => x.a, x => x.i);
            order = order.OrderBy(q => rank[q.ArticleIndex]).ToArray();                   // stable: shuffled within an article
        }
        var batches = new List<RetrieverBatch>();
        for (int start = 0; start < order.Length; start += batchSize)
        {
            var slice = order.Skip(start).Take(batchSize).ToArray();
            var distinct = slice.Select(q => q.ParagraphIndex).Distinct().ToList();
            if (distinct.Count < 2) continue;                                          // nothing to rank against
            batches.Add(new RetrieverBatch(slice.Select(q => queryPrompt + q.Question).ToArray(),
                distinct.Select(i => context.TryGetValue(i, out var text) ? text
                    : throw new ArgumentException($"question {slice.First(q => q.ParagraphIndex == i).Id}: paragraph {i} is not in {data.Source}")).ToArray(),
                slice.Select(q => (long)distinct.IndexOf(q.ParagraphIndex)).ToArray()));
        }
        return batches;
    }

    /// <summary>Trains <paramref name="encoder"/> in place; returns each step's loss. Dropout is on while training.
    /// <paramref name="afterEpoch"/> (epoch number from 1) runs after each epoch with the model in eval mode: the rate is
    /// constant and each epoch's batches depend only on the seed and the epoch, so the model it sees after epoch e is
    /// the one an e-epoch run ends with (how a validation curve chooses the epoch count in one run).</summary>
    public static IReadOnlyList<double> Train(SentenceEncoder encoder, SquadDataset data, IReadOnlyList<SquadQuestion> questions, RetrieverTrainingOptions o,
        Action<int>? afterEpoch = null)
    {
        torch.manual_seed(o.Seed);
        var model = encoder.Model;
        using var optimizer = optim.AdamW(model.parameters(), o.LearningRate, weight_decay: 0.01);
        var losses = new List<double>();
        var epochs = Enumerable.Range(0, o.Epochs).Select(e => Batches(data, questions, encoder.QueryPrompt, o.BatchSize, o.Seed + e, o.GroupByArticle)).ToArray();
        using var progress = Reporter.StartProgress($"Training the retriever on {questions.Count} questions", epochs.Sum(b => b.Count));
        model.train();
        try
        {
            for (int epoch = 0; epoch < epochs.Length; epoch++)
            {
                foreach (var batch in epochs[epoch])
                {
                    losses.Add(Step(encoder, optimizer, batch, o, losses.Count));
                    progress.Report(losses.Count, $"loss {losses[^1]:F3}");
                }
                if (afterEpoch is null) continue;
                model.eval();
                afterEpoch(epoch + 1);
                model.train();
            }
        }
        finally { model.eval(); }
        return losses;
    }

    /// <summary>One MNRL step: each question against the batch's distinct paragraphs; returns the loss.</summary>
    static double Step(SentenceEncoder encoder, optim.Optimizer optimizer, RetrieverBatch batch, RetrieverTrainingOptions o, int step)
    {
        using var scope = NewDisposeScope();
        var q = encoder.Embed(batch.Queries);
        var p = encoder.Embed(batch.Paragraphs, o.MaxParagraphTokens);
        var scores = q.matmul(p.t()) * o.Scale;                                          // [questions, distinct paragraphs]
        var loss = nn.functional.cross_entropy(scores, tensor(batch.Gold.ToArray()));
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        double value = loss.item<float>();
        if (!double.IsFinite(value)) throw new TrainingDivergedException(step, value, null);
        return value;
    }
}
