using System.Text.Json.Serialization;
using CourseKit.Models;
using CourseKit.Text;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CourseKit.Peft;

/// <summary>How the soft prompt starts (PEFT's prompt_tuning_init).</summary>
public static class PromptTuningInit
{
    /// <summary>N(0, 1), nn.Embedding's initialisation.</summary>
    public const string Random = "RANDOM";
    /// <summary>The embeddings of tokens drawn uniformly from the vocabulary.</summary>
    public const string SampleVocab = "SAMPLE_VOCAB";
    /// <summary>The embeddings of the tokens of a text (repeated or cut to the prompt length).</summary>
    public const string Text = "TEXT";
}

/// <summary>
/// Prompt tuning (Lester et al. 2021): P trainable "virtual token" embeddings put in front of the input embeddings;
/// the model is frozen. The attention mask is extended with ones for them; for token classification their outputs
/// are left out, so the logits stay [B, T, C].
/// </summary>
public sealed record PromptTuningConfig() : PeftConfig(PeftTypes.PromptTuning)
{
    [JsonPropertyName("num_virtual_tokens")] public int NumVirtualTokens { get; init; } = 20;
    [JsonPropertyName("prompt_tuning_init")] public string Init { get; init; } = PromptTuningInit.Random;
    [JsonPropertyName("prompt_tuning_init_text")] public string? InitText { get; init; }
    /// <summary>The token ids of <see cref="InitText"/> (for <see cref="PromptTuningInit.Text"/>).</summary>
    [JsonPropertyName("prompt_tuning_init_token_ids")] public IReadOnlyList<int>? InitTokenIds { get; init; }
    [JsonPropertyName("token_dim")] public int? TokenDim { get; init; }

    /// <summary>A config that starts the prompt from the word-piece embeddings of <paramref name="text"/>.</summary>
    public static PromptTuningConfig FromText(BertTextTokenizer tokenizer, string text, int numVirtualTokens) => new()
    {
        NumVirtualTokens = numVirtualTokens,
        Init = PromptTuningInit.Text,
        InitText = text,
        InitTokenIds = tokenizer.Encode(text, new EncodeOptions { AddSpecialTokens = false }).InputIds.ToList(),
    };

    public override void Validate()
    {
        Require(NumVirtualTokens >= 1, $"prompt tuning: num_virtual_tokens must be at least 1, got {NumVirtualTokens}");
        Require(Init is PromptTuningInit.Random or PromptTuningInit.SampleVocab or PromptTuningInit.Text,
            $"prompt tuning: prompt_tuning_init '{Init}' is not RANDOM, SAMPLE_VOCAB or TEXT");
        Require(Init != PromptTuningInit.Text || InitTokenIds is { Count: > 0 },
            "prompt tuning: prompt_tuning_init TEXT needs prompt_tuning_init_token_ids (use PromptTuningConfig.FromText)");
    }

    internal override PeftTuner CreateTuner() => new PromptTuningTuner(this);
}

/// <summary>PEFT's PromptEmbedding: <c>embedding</c> [P, H].</summary>
public sealed class PromptEmbedding : nn.Module
{
    public readonly Embedding embedding;

    public PromptEmbedding(int numVirtualTokens, int hiddenSize) : base(nameof(PromptEmbedding))
    {
        embedding = nn.Embedding(numVirtualTokens, hiddenSize);
        RegisterComponents();
    }

    /// <returns>[B, P, H]</returns>
    public Tensor Prompts(long batchSize) => embedding.weight!.unsqueeze(0).expand(batchSize, -1, -1);
}

public sealed class PromptTuningTuner(PromptTuningConfig config) : PeftTuner
{
    public const string SavedName = "prompt_embeddings";
    public PromptTuningConfig Config { get; } = config;
    public PromptEmbedding Encoder { get; private set; } = null!;
    internal override nn.Module? PromptEncoder => Encoder;

    internal override void Attach(BertPreTrainedModel<ClassifierOutput> model)
    {
        var c = model.Config;
        Encoder = new PromptEmbedding(Config.NumVirtualTokens, c.HiddenSize);
        var words = model.Bert.embeddings.word_embeddings.weight!;
        long[]? ids = Config.Init switch
        {
            PromptTuningInit.SampleVocab => randint(0, c.VocabSize, Config.NumVirtualTokens, dtype: int64).data<long>().ToArray(),
            PromptTuningInit.Text => Enumerable.Range(0, Config.NumVirtualTokens).Select(i => (long)Config.InitTokenIds![i % Config.InitTokenIds.Count]).ToArray(),
            _ => null,
        };
        if (ids is not null)
        {
            if (ids.FirstOrDefault(id => id < 0 || id >= c.VocabSize, -1) is var bad and >= 0)
                throw new ArgumentException($"prompt tuning: init token id {bad} is outside the vocabulary (size {c.VocabSize})");
            using var noGrad = no_grad();
            using var index = tensor(ids);
            Encoder.embedding.weight!.copy_(words.index_select(0, index));
        }
    }

    /// <summary>Hugging Face PEFT's prompt-tuning forward: [soft prompts; word embeddings] go in as inputs_embeds, the
    /// attention mask gets ones and the segment ids zeros for the prompts. The pooler reads position 0, the first
    /// virtual token, as in PEFT; the per-token outputs leave the P prompts out, so token logits stay aligned with
    /// <paramref name="inputIds"/> (and the head's dropout draws for the real tokens only).</summary>
    internal override ClassifierOutput Forward(BertPreTrainedModel<ClassifierOutput> model, Tensor inputIds, Tensor? attentionMask,
        Tensor? tokenTypeIds, Tensor? labels, bool outputAttentions)
    {
        var (B, T, P) = (inputIds.shape[0], inputIds.shape[1], Config.NumVirtualTokens);
        var words = model.Bert.embeddings.word_embeddings.forward(inputIds);                    // [B, T, H]
        var inputsEmbeds = cat([Encoder.Prompts(B), words], 1);                                  // [B, P+T, H]
        if (attentionMask is not null)
            attentionMask = cat([ones(B, P, dtype: attentionMask.dtype, device: attentionMask.device), attentionMask], 1);
        if (tokenTypeIds is not null)
            tokenTypeIds = cat([zeros(B, P, dtype: tokenTypeIds.dtype, device: tokenTypeIds.device), tokenTypeIds], 1);
        var hidden = model.Bert.forward(null, attentionMask, tokenTypeIds, outputAttentions, inputsEmbeds);
        hidden = hidden with { LastHiddenState = hidden.LastHiddenState.narrow(1, P, T) };     // [B, T, H]
        return model.ForwardHead(hidden, labels);
    }

    internal override Dictionary<string, Tensor> ExtraTensorsToSave() => new() { [SavedName] = Encoder.embedding.weight!.detach() };
    internal override Dictionary<string, Tensor> ExtraTensorsToLoad() => new() { [SavedName] = Encoder.embedding.weight! };
}
