namespace CourseKit.Data;

/// <summary>One fold of a cross-validation by article: training and held-out articles never share a paragraph.</summary>
public sealed record SquadFold(int Index, SquadDataset Train, SquadDataset Test);

/// <summary>Splits SQuAD-format data by article (never by question, see <see cref="SquadDataset"/>).</summary>
public static class SquadSplits
{
    /// <summary>
    /// k folds over the articles, shuffled by <paramref name="seed"/> and dealt round-robin so folds differ by at most
    /// one article; fold i tests on its articles and trains on the rest.
    /// </summary>
    public static IReadOnlyList<SquadFold> KFoldByArticle(SquadDataset data, int k, int seed = 42)
    {
        if (k < 2 || k > data.Articles.Count)
            throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be in [2, {data.Articles.Count}] (the number of articles)");
        var order = data.Articles.Select(a => a.Index).ToArray();
        new Random(seed).Shuffle(order);
        var folds = new List<SquadFold>(k);
        for (int f = 0; f < k; f++)
        {
            var test = order.Where((_, i) => i % k == f).ToArray();
            var train = order.Except(test).ToArray();
            folds.Add(new SquadFold(f, data.Subset(train, $"{data.Source} (fold {f} train)"), data.Subset(test, $"{data.Source} (fold {f} test)")));
        }
        return folds;
    }

    /// <summary>The training articles of outer fold <paramref name="fold"/> as a dataset of their own, for a validation
    /// split nested inside it: choosing a rate or an epoch count there never reads the fold's test articles.</summary>
    public static SquadDataset TrainingArticlesOf(SquadDataset data, int fold, int k, int seed = 42)
    {
        var folds = KFoldByArticle(data, k, seed);
        if (fold < 0 || fold >= folds.Count) throw new ArgumentOutOfRangeException(nameof(fold), fold, $"fold {fold} does not exist: the folds are 0 to {folds.Count - 1}");
        return folds[fold].Train;
    }

    /// <summary>The first <paramref name="count"/> questions of a seeded shuffle (the learning curve's few-shot sets).</summary>
    public static IReadOnlyList<SquadQuestion> SampleQuestions(SquadDataset data, int count, int seed = 42)
    {
        var questions = data.Questions.ToArray();
        new Random(seed).Shuffle(questions);
        return questions.Take(Math.Min(count, questions.Length)).ToArray();
    }
}
