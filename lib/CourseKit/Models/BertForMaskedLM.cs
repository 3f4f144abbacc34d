using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CourseKit.Models;

/// <summary>dense + activation + LayerNorm before the vocabulary projection (HF: cls.predictions.transform).</summary>
public sealed class BertPredictionHeadTransform : nn.Module
{
    public readonly Linear dense;
    [ComponentName(Name = "LayerNorm")] public readonly LayerNorm layer_norm;
    readonly Func<Tensor, Tensor> act;

    public BertPredictionHeadTransform(BertConfig config) : base(nameof(BertPredictionHeadTransform))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        layer_norm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        act = Activations.Get(config.HiddenAct);
    }

    public Tensor forward(Tensor x) => layer_norm.forward(act(dense.forward(x)));
}

/// <summary>cls.predictions: transform, then logits = h Eᵀ + bias with E the word-embedding matrix (tied weights).</summary>
public sealed class BertLMPredictionHead : nn.Module
{
    public readonly BertPredictionHeadTransform transform;
    public readonly Parameter bias;
    // Read through a delegate, not stored: the decoder weight IS the embedding matrix, also after .to(device).
    readonly Func<Parameter> decoderWeight;

    public BertLMPredictionHead(BertConfig config, Func<Parameter> decoderWeight) : base(nameof(BertLMPredictionHead))
    {
        transform = new BertPredictionHeadTransform(config);
        bias = nn.Parameter(zeros(config.VocabSize));
        this.decoderWeight = decoderWeight;
    }

    /// <summary>The decoder weight [V, H]: the word-embedding matrix itself.</summary>
    public Parameter DecoderWeight => decoderWeight();

    /// <param name="hidden">[B, T, H]</param>
    /// <returns>[B, T, V]</returns>
    public Tensor forward(Tensor hidden) => nn.functional.linear(transform.forward(hidden), decoderWeight(), bias);
}

/// <summary>HF's BertOnlyMLMHead: the module named <c>cls</c>.</summary>
public sealed class BertOnlyMLMHead : nn.Module
{
    public readonly BertLMPredictionHead predictions;

    public BertOnlyMLMHead(BertConfig config, Func<Parameter> decoderWeight) : base(nameof(BertOnlyMLMHead))
    {
        predictions = new BertLMPredictionHead(config, decoderWeight);
    }
}

/// <summary>BERT with the masked-language-model head. As in HF, the encoder has no pooler.</summary>
public sealed class BertForMaskedLM : BertPreTrainedModel<ClassifierOutput>
{
    public readonly BertModel bert;
    public readonly BertOnlyMLMHead cls;

    public static BertForMaskedLM FromPretrained(string dir) => Pretrained.Load(dir, BertConfig.Load, c => new BertForMaskedLM(c)).Model;

    public BertForMaskedLM(BertConfig config) : base(nameof(BertForMaskedLM), config)
    {
        bert = new BertModel(config, addPoolingLayer: false, initWeights: false);
        cls = new BertOnlyMLMHead(config, () => bert.embeddings.word_embeddings.weight!);
        Build();
    }

    public override BertModel Bert => bert;

    /// <summary>HF saves these tied tensors once, under the embedding / bias names; they are read as aliases.</summary>
    public override IReadOnlyDictionary<string, string> TiedWeights { get; } = new Dictionary<string, string>
    {
        ["cls.predictions.decoder.weight"] = "bert.embeddings.word_embeddings.weight",
        ["cls.predictions.decoder.bias"] = "cls.predictions.bias",
    };

    /// <param name="labels">[B, T] token ids to predict at masked positions, -100 elsewhere (ignored by the loss).</param>
    public override ClassifierOutput ForwardHead(BertModelOutput hidden, Tensor? labels)
    {
        var logits = cls.predictions.forward(hidden.LastHiddenState);                 // [B, T, V]
        var loss = labels is null ? null
            : nn.functional.cross_entropy(logits.view(-1, Config.VocabSize), labels.view(-1), ignore_index: -100);
        return new ClassifierOutput(logits, loss, hidden);
    }
}
