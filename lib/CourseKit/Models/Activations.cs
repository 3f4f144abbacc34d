using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Models;

/// <summary>The activations Hugging Face configs name in <c>hidden_act</c> / <c>activation_function</c> (its ACT2FN).</summary>
public static class Activations
{
    public static readonly IReadOnlyList<string> Known = ["gelu", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "relu", "silu", "swish", "tanh"];

    /// <summary>"gelu" is the exact erf form; "gelu_new" (GPT-2, original BERT TF code) is the tanh approximation.</summary>
    public static Func<Tensor, Tensor> Get(string name) => name switch
    {
        "gelu" => x => nn.functional.gelu(x),
        "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" => x => nn.functional.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh),
        "relu" => x => nn.functional.relu(x),
        "silu" or "swish" => x => nn.functional.silu(x),
        "tanh" => x => x.tanh(),
        _ => throw new ArgumentException($"Unknown activation '{name}'; known: {string.Join(", ", Known)}"),
    };
}
