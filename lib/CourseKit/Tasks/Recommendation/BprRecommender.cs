using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tasks.Recommendation;

/// <summary>
/// Matrix factorisation trained with BPR (Rendle et al. 2009): for a training pair (u, i) and a random item j the
/// user has not interacted with, maximise log σ(s(u,i) − s(u,j)) with s(u,i) = p_u · q_i + b_i, L2 on the rows used.
/// A user is their learned vector, so the validation item seen at test time is not folded in (as for every model
/// here: nothing is refitted on it).
/// </summary>
public sealed class BprRecommender : IRecommender, IDisposable
{
    readonly Tensor _users, _items, _bias;
    readonly double _regularisation;
    readonly int _dimensions;

    BprRecommender(Tensor users, Tensor items, Tensor bias, int dimensions, double regularisation) =>
        (_users, _items, _bias, _dimensions, _regularisation) = (users, items, bias, dimensions, regularisation);

    public string Name => "mf";
    public string Settings => $"BPR, {_dimensions} factors, L2 {_regularisation:G2}";

    public static BprRecommender Fit(LeaveOneOutSplit split, int dimensions, double regularisation, int epochs,
        double learningRate, int seed, int batchSize = 1024)
    {
        torch.manual_seed(seed);
        var random = new Random(seed);
        var users = nn.Parameter(randn(split.UserCount, dimensions) * 0.1);
        var items = nn.Parameter(randn(split.ItemCount + 1, dimensions) * 0.1);
        var bias = nn.Parameter(zeros(split.ItemCount + 1));
        var pairs = split.Train.SelectMany((items, u) => items.Select(i => (User: u, Item: i))).ToArray();
        var seen = split.Train.Select(t => t.ToHashSet()).ToArray();
        using var optimizer = optim.Adam([users, items, bias], learningRate);
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            random.Shuffle(pairs);
            for (int start = 0; start < pairs.Length; start += batchSize)
            {
                using var scope = NewDisposeScope();
                var batch = pairs.AsSpan(start, Math.Min(batchSize, pairs.Length - start)).ToArray();
                var negatives = batch.Select(p => SampleUnseen(random, seen[p.User], split.ItemCount)).ToArray();
                var u = users.index_select(0, tensor(batch.Select(p => (long)p.User).ToArray()));
                var posIdx = tensor(batch.Select(p => (long)p.Item).ToArray());
                var negIdx = tensor(negatives.Select(n => (long)n).ToArray());
                var (pos, neg) = (items.index_select(0, posIdx), items.index_select(0, negIdx));
                var difference = (u * (pos - neg)).sum(1) + bias.index_select(0, posIdx) - bias.index_select(0, negIdx);
                var l2 = u.pow(2).sum() + pos.pow(2).sum() + neg.pow(2).sum();
                var loss = -nn.functional.logsigmoid(difference).mean() + regularisation * l2 / batch.Length;
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
            }
        }
        return new BprRecommender(users.detach(), items.detach(), bias.detach(), dimensions, regularisation);
    }

    static int SampleUnseen(Random random, HashSet<int> seen, int itemCount)
    {
        while (true)
        {
            int j = random.Next(1, itemCount + 1);
            if (!seen.Contains(j)) return j;
        }
    }

    public float[][] Score(IReadOnlyList<RecommendationQuery> queries)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var u = _users.index_select(0, tensor(queries.Select(q => (long)q.UserIndex).ToArray()));
        return ItemKnnRecommender.Rows(u.matmul(_items.t()) + _bias);
    }

    public void Dispose()
    {
        _users.Dispose();
        _items.Dispose();
        _bias.Dispose();
    }
}
