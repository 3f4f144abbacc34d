using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tasks.Distillation;

/// <summary>
/// The distillation losses, each a small function of tensors so a test can check it by hand:
/// <list type="bullet">
/// <item>soft targets (Hinton et al. 2015): T² · KL(softmax(z_t/T) ‖ softmax(z_s/T)), mixed with the hard-label
/// cross-entropy by α;</item>
/// <item>hidden states (TinyBERT, Jiao et al. 2020): MSE between the teacher's last hidden states and the student's,
/// the latter through a learned projection W_h when the widths differ;</item>
/// <item>self-attention transfer (MiniLM, Wang et al. 2020): KL between the teacher's and the student's last-layer
/// attention distributions, per head and query;</item>
/// <item>cosine (DistilBERT, Sanh et al. 2019): 1 − cos between the pooled [CLS] vectors.</item>
/// </list>
/// </summary>
public static class DistillationLosses
{
    /// <summary>T² · KL(softmax(teacher/T) ‖ softmax(student/T)), mean over the batch. The T² keeps the gradient's
    /// size independent of T: the soft targets' gradients shrink as 1/T² (Hinton et al. 2015, section 2).</summary>
    /// <param name="studentLogits">[B, C]</param>
    /// <param name="teacherLogits">[B, C] (no gradient needed)</param>
    public static Tensor SoftTargets(Tensor studentLogits, Tensor teacherLogits, double temperature)
    {
        if (temperature <= 0) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "the temperature must be positive");
        using var scope = NewDisposeScope();
        var studentLog = nn.functional.log_softmax(studentLogits / temperature, -1);
        var teacherLog = nn.functional.log_softmax(teacherLogits.detach() / temperature, -1);
        // KL(q ‖ p) = Σ q (log q − log p); written with log-softmaxes so a zero probability never meets log(0).
        var kl = (teacherLog.exp() * (teacherLog - studentLog)).sum(-1).mean();
        return (kl * (temperature * temperature)).MoveToOuterDisposeScope();
    }

    /// <summary>α · soft + (1 − α) · hard: α = 0 is the hard-label student, α = 1 learns from the teacher alone.</summary>
    public static Tensor Mix(Tensor soft, Tensor hard, double alpha)
    {
        if (alpha is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "α must be in [0, 1]");
        return soft * alpha + hard * (1 - alpha);
    }

    /// <summary>Mean squared error per hidden unit between the student's (projected) and the teacher's hidden states over
    /// the real tokens (padding does not count).</summary>
    /// <param name="studentHidden">[B, T, Hs]</param>
    /// <param name="teacherHidden">[B, T, Ht]</param>
    /// <param name="projection">Hs → Ht, learned with the student; null when Hs = Ht.</param>
    /// <param name="attentionMask">[B, T] 1 = token, 0 = padding</param>
    public static Tensor HiddenStates(Tensor studentHidden, Tensor teacherHidden, nn.Module<Tensor, Tensor>? projection, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var student = projection is null ? studentHidden : projection.call(studentHidden);
        if (student.shape[^1] != teacherHidden.shape[^1])
            throw new ArgumentException($"hidden widths differ (student {student.shape[^1]}, teacher {teacherHidden.shape[^1]}): give a projection");
        var mask = attentionMask.to_type(student.dtype).unsqueeze(-1);                           // [B, T, 1]
        var squared = (student - teacherHidden.detach()).pow(2) * mask;
        var count = mask.sum() * teacherHidden.shape[^1];
        return (squared.sum() / count.clamp_min(1)).MoveToOuterDisposeScope();
    }

    /// <summary>MiniLM's self-attention distribution transfer: KL(A_t ‖ A_s) per head and query position, averaged
    /// over heads and real query positions. When the head counts differ, each side's heads are averaged first.</summary>
    /// <param name="studentAttention">[B, hs, T, T] attention probabilities of the student's last layer</param>
    /// <param name="teacherAttention">[B, ht, T, T] the teacher's</param>
    /// <param name="attentionMask">[B, T] 1 = token, 0 = padding (padded queries do not count; padded keys have
    /// probability 0 on both sides)</param>
    public static Tensor AttentionKl(Tensor studentAttention, Tensor teacherAttention, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        Tensor student = studentAttention, teacher = teacherAttention.detach();
        if (student.shape[1] != teacher.shape[1])
        {
            student = student.mean([1L], keepdim: true);
            teacher = teacher.mean([1L], keepdim: true);
        }
        const double eps = 1e-12;
        var klPerQuery = (teacher * ((teacher + eps).log() - (student + eps).log())).sum(-1);   // [B, h, T]
        var queries = attentionMask.to_type(klPerQuery.dtype).unsqueeze(1);                      // [B, 1, T]
        var total = (klPerQuery * queries).sum();
        var count = queries.sum() * klPerQuery.shape[1];
        return (total / count.clamp_min(1)).MoveToOuterDisposeScope();
    }

    /// <summary>1 − cos(student, teacher), mean over the batch, on pooled [CLS] vectors (the student's through a
    /// learned projection when the widths differ).</summary>
    /// <param name="studentVector">[B, Hs]</param>
    /// <param name="teacherVector">[B, Ht]</param>
    public static Tensor Cosine(Tensor studentVector, Tensor teacherVector, nn.Module<Tensor, Tensor>? projection = null)
    {
        using var scope = NewDisposeScope();
        var student = projection is null ? studentVector : projection.call(studentVector);
        var cos = nn.functional.cosine_similarity(student, teacherVector.detach(), dim: -1);
        return (1 - cos).mean().MoveToOuterDisposeScope();
    }
}
