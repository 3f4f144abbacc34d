using CourseKit.Text;

namespace CourseKit.Tests.Text;

[KeepTensorsAlive]
public class LengthBatchesTests
{
    static readonly string[] Words = ["a", "abcdef", "abc", "ab", "abcdefgh", "abcd", "x", "abcde", "yz", "abcdefg"];

    [Fact]
    public void Rows_come_back_in_the_order_given_from_batches_of_similar_length()
    {
        var batches = new List<string[]>();
        var rows = LengthBatches.Map(Words, w => w.Length, 3, batch =>
        {
            batches.Add(batch.ToArray());
            return batch.Select(w => w.ToUpperInvariant()).ToArray();
        });
        Assert.Equal(Words.Select(w => w.ToUpperInvariant()), rows);
        Assert.Equal([3, 3, 3, 1], batches.Select(b => b.Length));
        // Sorted by length across batches, so each batch's longest is no longer than the next batch's shortest.
        for (int b = 1; b < batches.Count; b++)
            Assert.True(batches[b - 1].Max(w => w.Length) <= batches[b].Min(w => w.Length), string.Join(" | ", batches.Select(x => string.Join(",", x))));
        // Equal lengths keep their given order (a stable sort): "a" before "x", "ab" before "yz".
        Assert.Equal(["a", "x", "ab"], batches[0]);
        Assert.Equal("yz", batches[1][0]);
    }

    [Fact]
    public void A_scorer_that_returns_the_wrong_number_of_rows_or_a_bad_batch_size_is_refused()
    {
        var error = Assert.Throws<InvalidDataException>(() => LengthBatches.Map(Words, w => w.Length, 4, batch => batch.Skip(1).ToArray()));
        Assert.Contains("a batch of 4 items got 3 rows", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => LengthBatches.Map(Words, w => w.Length, 0, batch => batch));
        Assert.Empty(LengthBatches.Map<string, string>([], w => w.Length, 2, batch => throw new InvalidOperationException("no batch to score")));
    }

    [Fact]
    public void Rows_cut_a_flat_array_into_equal_rows()
    {
        Assert.Equal([[1f, 2f], [3f, 4f], [5f, 6f]], LengthBatches.Rows([1, 2, 3, 4, 5, 6], 3, 2));
        Assert.Contains("3 rows × 2 values, got 5", Assert.Throws<InvalidDataException>(() => LengthBatches.Rows([1, 2, 3, 4, 5], 3, 2)).Message);
    }
}
