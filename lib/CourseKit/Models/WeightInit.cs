using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CourseKit.Models;

/// <summary>Hugging Face's <c>_init_weights</c>: Linear and Embedding weights ~ N(0, initializer_range), biases 0,
/// LayerNorm weight 1 and bias 0. Draws from the default generator: call torch.manual_seed first to repeat a model.</summary>
public static class WeightInit
{
    public static void InitLikeHuggingFace(nn.Module root, double std)
    {
        using var _ = no_grad();
        foreach (var module in root.modules().Prepend(root))
        {
            switch (module)
            {
                case Linear linear:
                    linear.weight!.normal_(0, std);
                    linear.bias?.zero_();
                    break;
                case Embedding embedding:
                    embedding.weight!.normal_(0, std);
                    break;
                case LayerNorm norm:
                    norm.weight?.fill_(1.0);
                    norm.bias?.zero_();
                    break;
            }
        }
    }
}
