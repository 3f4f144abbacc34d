using CourseKit.Serving;

namespace CourseKit.Tests.Serving;

[KeepTensorsAlive]
public sealed class LengthChunksTests
{
    [Fact]
    public void Every_input_lands_in_one_chunk_and_padding_stays_within_the_slack()
    {
        var random = new Random(4);
        var lengths = Enumerable.Range(0, 200).Select(_ => random.Next(3, 120)).ToArray();
        var chunks = LengthChunks.Split(lengths, maxCount: 32);
        Assert.Equal(Enumerable.Range(0, lengths.Length), chunks.SelectMany(c => c).Order());
        Assert.All(chunks, c => Assert.InRange(c.Length, 1, 32));
        foreach (var c in chunks.Where(c => c.Length > 1))
        {
            long padded = (long)c.Length * c.Max(i => lengths[i]), real = c.Sum(i => (long)lengths[i]);
            Assert.True(padded <= (1 + LengthChunks.PaddingSlack) * real + 32, $"chunk pads {real} tokens to {padded}");
        }
        Assert.True(chunks.Count < lengths.Length / 4, $"{chunks.Count} chunks: too small to batch");
    }

    [Fact]
    public void Equal_lengths_make_one_chunk_up_to_the_count()
    {
        Assert.Single(LengthChunks.Split(Enumerable.Repeat(12, 20).ToArray(), maxCount: 32));
        Assert.Equal([32, 8], LengthChunks.Split(Enumerable.Repeat(12, 40).ToArray(), maxCount: 32).Select(c => c.Length));
    }
}
