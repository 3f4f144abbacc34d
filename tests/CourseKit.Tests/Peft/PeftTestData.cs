using CourseKit.Models;
using CourseKit.Peft;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tests.Peft;

/// <summary>The tiny HF-layout BERT of tests/fixtures/bert-parity (H = 32, L = 2, 4 heads, intermediate 64, vocab 100)
/// under a sequence head (2 labels) or a token head (3 labels), with the method configs the tests use.</summary>
public static class PeftTestData
{
    public static readonly string Fixture = TestPaths.InRepo("tests", "fixtures", "bert-parity");
    public const int H = 32, L = 2, I = 64, Vocab = 100;
    public static readonly string[] SeqLabels = ["neg", "pos"], TokenLabels = ["O", "B", "I"];

    public enum Head { Sequence, Token }

    public static int NumLabels(Head head) => head == Head.Sequence ? SeqLabels.Length : TokenLabels.Length;

    /// <summary>The base checkpoint with a fresh head drawn after <c>manual_seed(seed)</c>; dropout off unless asked.</summary>
    internal static BertPreTrainedModel<ClassifierOutput> Base(Head head, int seed = 1, bool dropout = false)
    {
        torch.manual_seed(seed);
        BertConfig Adjust(BertConfig c)
        {
            if (!dropout) (c.HiddenDropoutProb, c.AttentionProbsDropoutProb) = (0, 0);
            return c.WithLabels(head == Head.Sequence ? SeqLabels : TokenLabels);
        }
        return head == Head.Sequence
            ? Pretrained.Load(Fixture, BertConfig.Load, c => new BertForSequenceClassification(c), Adjust).Model
            : Pretrained.Load(Fixture, BertConfig.Load, c => new BertForTokenClassification(c), Adjust).Model;
    }

    /// <summary>The fixture's architecture with fresh N(0, 0.1²) weights instead of its own. The fixture's weights
    /// (std 0.2, for sensitive parity tests) collapse position 0: its last hidden state varies by about 0.005 across
    /// first tokens, so no head learns a sequence label from it in a short run; with HF's 0.02 attention is uniform and
    /// a virtual token (prompt tuning pools one) hardly sees the input.</summary>
    internal static BertPreTrainedModel<ClassifierOutput> FreshBase(Head head, int seed = 1)
    {
        var config = BertConfig.Load(Path.Combine(Fixture, "config.json"));
        (config.HiddenDropoutProb, config.AttentionProbsDropoutProb) = (0, 0);
        config.InitializerRange = 0.1;
        config.WithLabels(head == Head.Sequence ? SeqLabels : TokenLabels);
        torch.manual_seed(seed);
        return head == Head.Sequence ? new BertForSequenceClassification(config) : new BertForTokenClassification(config);
    }

    public static readonly string[] Methods = ["lora", "adalora", "bottleneck", "prefix", "prompt", "bitfit", "ia3"];

    public static PeftConfig Config(string method, long totalSteps = 40) => method switch
    {
        "lora" => new LoraConfig { R = 4, LoraAlpha = 8, TargetModules = TargetModules.Of("query", "value") },
        "adalora" => new AdaLoraConfig { InitR = 4, TargetR = 2, TInit = 2, TFinal = 2, TotalStep = totalSteps, TargetModules = TargetModules.Of("query", "value") },
        "bottleneck" => new BottleneckAdapterConfig { BottleneckSize = 8 },
        "prefix" => new PrefixTuningConfig { NumVirtualTokens = 5, EncoderHiddenSize = 16 },
        "prompt" => new PromptTuningConfig { NumVirtualTokens = 5, Init = PromptTuningInit.SampleVocab },
        "bitfit" => new BitFitConfig(),
        "ia3" => new IA3Config(),
        _ => throw new ArgumentException(method),
    };

    public static IEnumerable<object[]> MethodsAndHeads() =>
        Methods.SelectMany(m => new[] { new object[] { m, Head.Sequence }, new object[] { m, Head.Token } });

    /// <summary>classifier (H·C + C), plus the pooler (H·H + H) for sequence classification.</summary>
    public static long HeadParameters(Head head) => H * NumLabels(head) + NumLabels(head) + (head == Head.Sequence ? H * H + H : 0);

    /// <summary>Closed-form trainable parameter counts of the configs above, worked out from the architecture, without the head.</summary>
    public static long MethodParameters(string method, Head head) => method switch
    {
        // r·in (A) + out·r (B) on query and value of every layer
        "lora" => L * 2 * (4 * H + H * 4),
        // A [r, in] + E [r, 1] + B [out, r] with r = init_r = 4
        "adalora" => L * 2 * (4 * H + 4 + H * 4),
        // down (H·m + m) + up (m·H + H) on attention.output.dense and output.dense, plus those two LayerNorms (2H each)
        "bottleneck" => L * 2 * (H * 8 + 8 + 8 * H + H) + L * 2 * 2 * H,
        // embedding P·H, MLP H→16 (weights + bias) and 16→L·2·H
        "prefix" => 5 * H + (H * 16 + 16) + (16 * L * 2 * H + L * 2 * H),
        "prompt" => 5 * H,
        // embeddings LayerNorm bias; per layer q, k, v, attention output, its LayerNorm, intermediate (I), output, its LayerNorm
        // (the pooler's bias is part of the sequence head)
        "bitfit" => H + L * (7 * H + I),
        // l_k (H), l_v (H), l_ff (I) per layer
        "ia3" => L * (H + H + I),
        _ => throw new ArgumentException(method),
    };

    /// <summary>4 sequences of 6 tokens; rows 1 and 3 end with padding.</summary>
    public static (Tensor Ids, Tensor Mask) Batch()
    {
        var ids = torch.tensor(new long[,]
        {
            { 2, 17, 33, 5, 9, 3 },
            { 2, 41, 8, 3, 0, 0 },
            { 2, 7, 7, 12, 60, 3 },
            { 2, 99, 3, 0, 0, 0 },
        });
        var mask = ids.ne(0).to_type(ScalarType.Int64);
        return (ids, mask);
    }

    public static Tensor Labels(Head head) => head == Head.Sequence
        ? torch.tensor(new long[] { 0, 1, 1, 0 })
        : torch.tensor(new long[,] { { 0, 1, 2, 0, 1, 2 }, { 1, 1, 0, 2, -100, -100 }, { 2, 0, 0, 1, 1, 0 }, { 0, 2, 1, -100, -100, -100 } });

    public static ClassifierOutput Run(PeftModel peft, Head head, bool withLabels = true)
    {
        var (ids, mask) = Batch();
        return peft.forward(ids, mask, null, withLabels ? Labels(head) : null);
    }

    /// <summary>Adds noise to every trainable parameter (what fine-tuning does), so zero-initialised parts (LoRA's B,
    /// AdaLoRA's Λ) no longer block gradients and saved adapters differ from a fresh one.</summary>
    public static void Perturb(nn.Module model, int seed = 5, double std = 0.05)
    {
        var generator = new torch.Generator((ulong)seed);
        using var noGrad = torch.no_grad();
        foreach (var p in model.parameters().Where(p => p.requires_grad))
            p.add_(torch.randn(p.shape, generator: generator) * std);
    }

    public static float MaxAbsDiff(Tensor a, Tensor b)
    {
        using var d = (a - b).abs().max();
        return d.item<float>();
    }
}

/// <summary>PEFT tests seed torch's global generator and build models from it: they run on their own, after the
/// parallel collections, so that neither they nor the Models or Trainer tests draw from the generator in between.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PeftSerialCollection
{
    public const string Name = "Peft: torch global RNG, not in parallel";
}
