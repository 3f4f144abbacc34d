using CourseKit.Native;
using CourseKit.Tasks.Distillation;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tests.Tasks.Distillation;

[KeepTensorsAlive]
public class DistillationLossesTests
{
    public DistillationLossesTests() => TorchRuntime.Initialize();

    /// <summary>KL(q ‖ p) for two classes, written out: q1 ln(q1/p1) + q2 ln(q2/p2).</summary>
    static double Kl2(double q1, double p1) => q1 * Math.Log(q1 / p1) + (1 - q1) * Math.Log((1 - q1) / (1 - p1));

    static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    [Theory]
    [InlineData(1.0)]
    [InlineData(2.0)]
    [InlineData(4.0)]
    public void Soft_targets_are_T_squared_times_the_KL_of_the_softened_two_class_distributions(double temperature)
    {
        // Two examples: teacher logits (ln 3, 0) and (0, 2); student (0, 0) and (1, -1).
        using var teacher = tensor(new float[] { (float)Math.Log(3), 0, 0, 2 }, [2, 2]);
        using var student = tensor(new float[] { 0, 0, 1, -1 }, [2, 2]);
        // softmax over two classes = sigmoid of the logit difference divided by T
        double q1 = Sigmoid(Math.Log(3) / temperature), p1 = Sigmoid(0);
        double q2 = Sigmoid(-2 / temperature), p2 = Sigmoid(2 / temperature);
        double expected = temperature * temperature * (Kl2(q1, p1) + Kl2(q2, p2)) / 2;

        using var loss = DistillationLosses.SoftTargets(student, teacher, temperature);
        Assert.Equal(expected, loss.item<float>(), 5);
    }

    [Fact]
    public void The_first_example_by_hand_at_T_1_and_T_2()
    {
        using var teacher = tensor(new float[] { (float)Math.Log(3), 0 }, [1, 2]);
        using var student = tensor(new float[] { 0, 0 }, [1, 2]);
        // T = 1: q = (3/4, 1/4), p = (1/2, 1/2): 0.75 ln 1.5 + 0.25 ln 0.5 = 0.130812
        using var atOne = DistillationLosses.SoftTargets(student, teacher, 1);
        Assert.Equal(0.130812, atOne.item<float>(), 5);
        // T = 2: q = (√3/(1+√3), 1/(1+√3)) = (0.633975, 0.366025): KL 0.036343, times T² = 4 → 0.145372
        using var atTwo = DistillationLosses.SoftTargets(student, teacher, 2);
        Assert.Equal(0.145372, atTwo.item<float>(), 4);
    }

    [Fact]
    public void Soft_targets_are_zero_when_the_student_matches_the_teacher()
    {
        using var logits = tensor(new float[] { 1.5f, -0.5f, 0.2f, 0.3f }, [2, 2]);
        using var loss = DistillationLosses.SoftTargets(logits, logits, 3);
        Assert.Equal(0, loss.item<float>(), 6);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.25)]
    [InlineData(1.0)]
    public void The_alpha_mix_weighs_soft_against_hard(double alpha)
    {
        using var teacher = tensor(new float[] { (float)Math.Log(3), 0 }, [1, 2]);
        using var student = tensor(new float[] { 0, 0 }, [1, 2]);
        using var label = tensor(new long[] { 1 });
        using var hard = nn.functional.cross_entropy(student, label);            // −ln(1/2) = ln 2
        using var soft = DistillationLosses.SoftTargets(student, teacher, 2);    // 0.145372 (above)
        using var mixed = DistillationLosses.Mix(soft, hard, alpha);
        Assert.Equal(alpha * 0.145372 + (1 - alpha) * Math.Log(2), mixed.item<float>(), 4);
    }

    [Fact]
    public void Attention_KL_is_zero_for_identical_maps_and_positive_otherwise()
    {
        var generator = new Generator().manual_seed(1);
        using var scores = randn([2, 3, 5, 5], generator: generator);
        using var maps = nn.functional.softmax(scores, -1);
        using var mask = tensor(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 0, 0 }, [2, 5]);
        using var same = DistillationLosses.AttentionKl(maps, maps.clone(), mask);
        Assert.Equal(0, same.item<float>(), 6);

        using var other = nn.functional.softmax(randn([2, 3, 5, 5], generator: generator), -1);
        using var different = DistillationLosses.AttentionKl(other, maps, mask);
        Assert.True(different.item<float>() > 0.01, $"KL of different maps should be positive, got {different.item<float>()}");
        // Different head counts: each side's heads are averaged, so identical averages still give 0.
        using var averaged = maps.mean([1L], keepdim: true);
        using var acrossHeads = DistillationLosses.AttentionKl(averaged, maps, mask);
        Assert.Equal(0, acrossHeads.item<float>(), 6);
    }

    [Fact]
    public void Hidden_state_MSE_counts_real_tokens_only_and_goes_through_the_projection()
    {
        using var teacher = tensor(new float[] { 1, 1, 1, 1, 9, 9 }, [1, 3, 2]);      // the last token is padding
        using var student = tensor(new float[] { 0, 0, 2, 2, 0, 0 }, [1, 3, 2]);
        using var mask = tensor(new long[] { 1, 1, 0 }, [1, 3]);
        using var plain = DistillationLosses.HiddenStates(student, teacher, null, mask);
        Assert.Equal(1.0, plain.item<float>(), 6);                                    // every real unit is 1 away

        using var projection = nn.Linear(1, 2, hasBias: false);
        using (no_grad()) projection.weight!.fill_(1);
        using var narrow = tensor(new float[] { 1, 1, 5 }, [1, 3, 1]);              // projected: (1, 1) per token
        using var projected = DistillationLosses.HiddenStates(narrow, teacher, projection, mask);
        Assert.Equal(0.0, projected.item<float>(), 6);
        Assert.Throws<ArgumentException>(() => DistillationLosses.HiddenStates(narrow, teacher, null, mask));
    }

    [Fact]
    public void Cosine_loss_is_zero_for_parallel_vectors_and_one_for_orthogonal_ones()
    {
        using var teacher = tensor(new float[] { 1, 0, 0, 2 }, [2, 2]);
        using var parallel = tensor(new float[] { 3, 0, 0, 0.5f }, [2, 2]);
        using var orthogonal = tensor(new float[] { 0, 1, 1, 0 }, [2, 2]);
        using var zero = DistillationLosses.Cosine(parallel, teacher);
        using var one = DistillationLosses.Cosine(orthogonal, teacher);
        Assert.Equal(0, zero.item<float>(), 6);
        Assert.Equal(1, one.item<float>(), 6);
    }
}
