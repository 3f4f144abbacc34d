using static TorchSharp.torch;

namespace CourseKit.Models;

/// <param name="LastHiddenState">[B, T, H]</param>
/// <param name="PoolerOutput">[B, H], tanh(dense(h_[CLS])); null when the model has no pooler.</param>
/// <param name="Attentions">per layer [B, nh, T, T] when asked for, else null.</param>
public sealed record BertModelOutput(Tensor LastHiddenState, Tensor? PoolerOutput, IReadOnlyList<Tensor>? Attentions);

/// <param name="Logits">[B, T, V] for masked LM, [B, T, C] for token classification, [B, C] for sequence classification.</param>
/// <param name="Loss">scalar, when labels were given.</param>
public sealed record ClassifierOutput(Tensor Logits, Tensor? Loss, BertModelOutput Hidden);

/// <param name="StartLogits">[B, T]</param>
/// <param name="EndLogits">[B, T]</param>
public sealed record QuestionAnsweringOutput(Tensor StartLogits, Tensor EndLogits, Tensor? Loss, BertModelOutput Hidden);

/// <param name="Logits">[B, T, V]</param>
/// <param name="Loss">scalar mean next-token cross-entropy, when labels were given.</param>
public sealed record CausalLMOutput(Tensor Logits, Tensor? Loss, IReadOnlyList<Tensor>? Attentions);
