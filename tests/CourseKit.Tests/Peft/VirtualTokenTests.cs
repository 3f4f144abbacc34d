using CourseKit.Models;
using CourseKit.Native;
using CourseKit.Peft;
using CourseKit.Tests.Models;
using CourseKit.Text;
using TorchSharp;
using static CourseKit.Tests.Peft.PeftTestData;
using static TorchSharp.torch;

namespace CourseKit.Tests.Peft;

/// <summary>Prefix and prompt tuning: the extended attention masks, the output shapes, the inits and the fold.</summary>
[Collection(PeftSerialCollection.Name)]
[KeepTensorsAlive]
public class VirtualTokenTests
{
    public VirtualTokenTests() => TorchRuntime.Initialize();
    const int P = 5;

    static IReadOnlyList<Tensor> Attentions(PeftModel peft)
    {
        var (ids, mask) = Batch();
        using var noGrad = no_grad();
        return peft.forward(ids, mask, null, null, outputAttentions: true).Hidden.Attentions!;
    }

    [Theory]
    [InlineData(Head.Sequence)]
    [InlineData(Head.Token)]
    public void Prefix_keys_are_attended_and_padding_still_gets_zero_attention(Head head)
    {
        var peft = PeftModel.Create(Base(head), Config("prefix"));
        peft.eval();
        var (ids, mask) = Batch();
        foreach (var weights in Attentions(peft))
        {
            Assert.Equal(new long[] { 4, 4, 6, P + 6 }, weights.shape);                 // [B, nh, T queries, P + T keys]
            for (int b = 0; b < 4; b++)
                for (int t = 0; t < 6; t++)
                {
                    var column = weights[b, .., .., P + t];
                    if (mask[b, t].item<long>() == 0) Assert.Equal(0f, column.abs().max().item<float>());
                    else Assert.True(column.min().item<float>() > 0);
                }
            Assert.True(weights[.., .., .., ..P].min().item<float>() > 0, "every query attends to the prefix");
            Assert.True((weights.sum(-1) - 1).abs().max().item<float>() < 1e-5);
        }
        using var noGrad = no_grad();
        var logits = peft.forward(ids, mask, null, null).Logits;
        Assert.Equal(head == Head.Sequence ? new long[] { 4, 2 } : new long[] { 4, 6, 3 }, logits.shape);
    }

    [Theory]
    [InlineData(Head.Sequence)]
    [InlineData(Head.Token)]
    public void Prompt_tokens_are_attended_padding_is_not_and_token_logits_align_with_the_input(Head head)
    {
        var peft = PeftModel.Create(Base(head), Config("prompt"));
        peft.eval();
        var (ids, mask) = Batch();
        foreach (var weights in Attentions(peft))
        {
            Assert.Equal(new long[] { 4, 4, P + 6, P + 6 }, weights.shape);             // virtual tokens are queries too
            for (int b = 0; b < 4; b++)
                for (int t = 0; t < 6; t++)
                    if (mask[b, t].item<long>() == 0) Assert.Equal(0f, weights[b, .., .., P + t].abs().max().item<float>());
            Assert.True(weights[.., .., .., ..P].min().item<float>() > 0, "every position attends to the virtual tokens");
        }
        using var noGrad = no_grad();
        var output = peft.forward(ids, mask, null, Labels(head));
        Assert.Equal(head == Head.Sequence ? new long[] { 4, 2 } : new long[] { 4, 6, 3 }, output.Logits.shape);
        Assert.Equal(new long[] { 4, 6, H }, output.Hidden.LastHiddenState.shape);
        Assert.True(float.IsFinite(output.Loss!.item<float>()));
    }

    [Theory]
    [InlineData("prefix", Head.Sequence)]
    [InlineData("prefix", Head.Token)]
    [InlineData("prompt", Head.Sequence)]
    [InlineData("prompt", Head.Token)]
    public void Extra_padding_changes_nothing(string method, Head head)
    {
        var peft = PeftModel.Create(Base(head), Config(method));
        Perturb(peft);
        peft.eval();
        var ids = tensor(new long[,] { { 2, 17, 33, 5, 3 } });
        var padded = tensor(new long[,] { { 2, 17, 33, 5, 3, 0, 0, 0 } });
        using var noGrad = no_grad();
        var a = peft.forward(ids, ones_like(ids), null, null).Logits;
        var b = peft.forward(padded, padded.ne(0).to_type(ScalarType.Int64), null, null).Logits;
        if (head == Head.Token) b = b[.., ..5];
        Assert.True(MaxAbsDiff(a, b) < 1e-5, $"{method}: {MaxAbsDiff(a, b)}");
    }

    [Fact]
    public void Prompt_tuning_from_text_starts_at_the_word_embeddings_repeated_to_length()
    {
        var model = Base(Head.Sequence);
        var config = new PromptTuningConfig { NumVirtualTokens = 5, Init = PromptTuningInit.Text, InitText = "(ids)", InitTokenIds = [11, 22] };
        var peft = PeftModel.Create(model, config);
        var prompts = ((PromptTuningTuner)peft.Tuner).Encoder.embedding.weight!;
        var words = model.Bert.embeddings.word_embeddings.weight!;
        int[] expected = [11, 22, 11, 22, 11];
        for (int i = 0; i < 5; i++) Assert.True(prompts[i].SameAs(words[expected[i]]).item<bool>(), $"virtual token {i}");

        var tokenizer = BertTextTokenizer.Cased(TestPaths.InRepo("datasets", "bert-vocab", "bert-base-cased-vocab.txt"));
        var fromText = PromptTuningConfig.FromText(tokenizer, "Hello, world!", 8);
        Assert.Equal(new[] { 8667, 117, 1362, 106 }, fromText.InitTokenIds);   // bert-base-cased ids, as in the tokenizer tests
        Assert.Throws<ArgumentException>(() => PeftModel.Create(Base(Head.Sequence), fromText));   // ids beyond the tiny vocabulary
    }

    [Fact]
    public void Folding_the_prefix_MLP_keeps_the_outputs_and_leaves_plain_prefixes()
    {
        var peft = PeftModel.Create(Base(Head.Token), Config("prefix"));
        Perturb(peft);
        peft.eval();
        Tensor before;
        using (no_grad()) before = Run(peft, Head.Token, withLabels: false).Logits;
        var tuner = (PrefixTuningTuner)peft.Tuner;
        Assert.True(tuner.Encoder.HasProjection);
        tuner.Fold();
        Assert.False(tuner.Encoder.HasProjection);
        Assert.Equal(new[] { "prompt_encoder.embedding.weight" }, peft.named_parameters().Where(p => p.name.StartsWith("prompt_encoder")).Select(p => p.name));
        Assert.Equal(new long[] { P, L * 2 * H }, tuner.Encoder.Embedding.weight!.shape);
        using (no_grad()) Assert.Equal(0f, MaxAbsDiff(before, Run(peft, Head.Token, withLabels: false).Logits));
    }
}
