using CourseKit.Data;
using CourseKit.Tasks.TokenClassification;

namespace CourseKit.Tests.Tasks.TokenClassification;

[KeepTensorsAlive]
public class Iob2ViterbiTests
{
    static readonly string[] Labels = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"];

    static float[] Row(params double[] p) => p.Select(x => (float)Math.Log(x)).ToArray();


    [Fact]
    public void A_stray_inside_tag_is_repaired_the_way_the_scores_prefer()
    {
        // Argmax: O I-PER (invalid). Valid choices: B-PER I-PER scores 0.4·0.6 = 0.24 > O O = 0.6·0.1 = 0.06.
        float[][] sentence = [Row(0.6, 0.4, 0.0001, 0.0001, 0.0001), Row(0.1, 0.2, 0.6, 0.05, 0.05)];
        Assert.Equal(["B-PER", "I-PER"], Iob2Viterbi.Decode(sentence, Labels).Select(i => Labels[i]));
        // With the first word sure of O, the second becomes B-PER (0.2) rather than O (0.1).
        float[][] sure = [Row(0.96, 0.01, 0.01, 0.01, 0.01), Row(0.1, 0.2, 0.6, 0.05, 0.05)];
        Assert.Equal(["O", "B-PER"], Iob2Viterbi.Decode(sure, Labels).Select(i => Labels[i]));
    }

    [Fact]
    public void Inside_tags_may_not_switch_type_or_start_a_sentence()
    {
        var (allowed, start) = Iob2Viterbi.Transitions(Labels);
        Assert.Equal([true, true, false, true, false], start);
        Assert.True(allowed[1, 2]);  // B-PER → I-PER
        Assert.True(allowed[2, 2]);  // I-PER → I-PER
        Assert.False(allowed[0, 2]); // O → I-PER
        Assert.False(allowed[3, 2]); // B-LOC → I-PER
        Assert.False(allowed[4, 2]); // I-LOC → I-PER
        Assert.True(allowed[4, 1]);  // I-LOC → B-PER
        Assert.True(allowed[2, 0]);  // I-PER → O
    }

    [Fact]
    public void Decoding_finds_the_best_valid_sequence_of_every_small_case()
    {
        var random = new Random(11);
        for (int trial = 0; trial < 200; trial++)
        {
            int words = 1 + random.Next(4);
            var sentence = Enumerable.Range(0, words).Select(_ =>
            {
                var p = Labels.Select(_ => random.NextDouble() + 1e-3).ToArray();
                return Row(p.Select(x => x / p.Sum()).ToArray());
            }).ToArray();
            var path = Iob2Viterbi.Decode(sentence, Labels);
            Assert.True(Iob2Check.IsValid(path.Select(i => Labels[i]).ToArray()), string.Join(" ", path.Select(i => Labels[i])));

            // Brute force over all 5^words sequences.
            double best = double.NegativeInfinity;
            foreach (var candidate in Sequences(words, Labels.Length))
                if (Iob2Check.IsValid(candidate.Select(i => Labels[i]).ToArray()))
                    best = Math.Max(best, candidate.Select((label, w) => (double)sentence[w][label]).Sum());
            double decoded = path.Select((label, w) => (double)sentence[w][label]).Sum();
            Assert.Equal(best, decoded, tolerance: 1e-9);
        }
    }

    [Fact]
    public void A_valid_argmax_sequence_is_kept_and_an_empty_sentence_gives_nothing()
    {
        float[][] sentence = [Row(0.1, 0.7, 0.1, 0.05, 0.05), Row(0.1, 0.1, 0.7, 0.05, 0.05), Row(0.8, 0.05, 0.05, 0.05, 0.05)];
        Assert.Equal([1, 2, 0], Iob2Viterbi.Decode(sentence, Labels));
        Assert.Empty(Iob2Viterbi.Decode([], Labels));
    }

    [Fact]
    public void The_conll_labels_are_iob2_and_iob1_only_labels_are_refused()
    {
        Iob2Viterbi.Transitions(NerLabels.All); // no exception
        var e = Assert.Throws<ArgumentException>(() => Iob2Viterbi.Transitions(["O", "I-PER"]));
        Assert.Contains("I-PER", e.Message);
        Assert.Contains("IOB2", e.Message);
    }

    [Fact]
    public void A_row_of_the_wrong_width_names_the_word()
    {
        var e = Assert.Throws<ArgumentException>(() => Iob2Viterbi.Decode([Row(0.5, 0.5, 0, 0, 0), [0f, 0f]], Labels));
        Assert.Contains("word 1", e.Message);
    }

    static IEnumerable<int[]> Sequences(int length, int labels)
    {
        var current = new int[length];
        for (long n = 0, total = (long)Math.Pow(labels, length); n < total; n++)
        {
            long x = n;
            for (int i = 0; i < length; i++) { current[i] = (int)(x % labels); x /= labels; }
            yield return (int[])current.Clone();
        }
    }
}
