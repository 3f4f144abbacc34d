using CourseKit.Models;
using CourseKit.Tasks.PromptLearning;
using CourseKit.Tests.Tasks.SequenceClassification;
using static TorchSharp.torch;

namespace CourseKit.Tests.Tasks.PromptLearning;

[KeepTensorsAlive]
public class ClozeTemplateTests(TinyBertFixture tiny) : IClassFixture<TinyBertFixture>
{
    [Theory]
    [InlineData("It was great.")]
    [InlineData("{sentence} It was MASK.")]
    [InlineData("{sentence} It was [mask].")]
    public void A_template_without_mask_is_refused_with_a_message_naming_the_mask(string template)
    {
        var e = Assert.Throws<ClozeTemplateException>(() => new ClozeTemplate(template));
        Assert.Contains("has no [MASK]", e.Message);
        Assert.Contains(template, e.Message);
    }

    [Fact]
    public void A_template_with_the_sentence_twice_is_refused() =>
        Assert.Contains("more than one {sentence}", Assert.Throws<ClozeTemplateException>(() => new ClozeTemplate("{sentence} It was [MASK]: {sentence}")).Message);

    [Fact]
    public void A_template_with_two_masks_is_refused() =>
        Assert.Contains("more than one [MASK]", Assert.Throws<ClozeTemplateException>(() => new ClozeTemplate("[MASK] {sentence} [MASK]")).Message);

    [Fact]
    public void Encode_puts_the_mask_where_it_says_and_truncates_only_the_sentence()
    {
        var tokenizer = tiny.Tokenizer;
        var template = new ClozeTemplate("It was [MASK].");                              // no {sentence}: the sentence goes first
        Assert.Equal("{sentence} It was [MASK].", template.Text);
        var sentence = string.Join(' ', Enumerable.Repeat("wonderful", 40));
        var (ids, mask) = template.Encode(tokenizer, sentence, maxLength: 16);
        Assert.Equal(16, ids.Length);
        Assert.Equal(tokenizer.ClsId, ids[0]);
        Assert.Equal(tokenizer.SepId, ids[^1]);
        Assert.Equal(tokenizer.MaskId, ids[mask]);
        Assert.Single(ids, id => id == tokenizer.MaskId);
        var tail = tokenizer.Decode(ids[(mask - 2)..^1], skipSpecialTokens: false);     // "It was [MASK] ." survives truncation
        Assert.StartsWith("It was [MASK]", tail);

        var (before, maskFirst) = new ClozeTemplate("[MASK] news: {sentence}").Encode(tokenizer, "Profit rose", 32);
        Assert.Equal(1, maskFirst);
        Assert.Equal(tokenizer.MaskId, before[1]);
    }

    [Fact]
    public void Verbalizer_words_must_be_single_tokens() =>
        Assert.Contains("not a single token", Assert.Throws<ArgumentException>(() => Verbalizer.Create(tiny.Tokenizer, ["terrible", "unbelievablyxyzgreat"])).Message);

    [Fact]
    public void GatherAtMask_reads_each_row_at_its_own_mask_position_only()
    {
        var states = full(new long[] { 2, 5, 3 }, 1000f);                               // every other position: a huge value
        states[0, 3] = tensor(new[] { 1f, 2f, 3f });
        states[1, 1] = tensor(new[] { 4f, 5f, 6f });
        using var gathered = ClozeClassifier.GatherAtMask(states, tensor(new long[] { 3, 1 }));
        Assert.Equal(new[] { 1f, 2f, 3f, 4f, 5f, 6f }, gathered.data<float>().ToArray());
    }

    [Fact]
    public void Verbalizer_logits_are_the_mlm_heads_logits_at_the_mask_position_of_the_full_forward()
    {
        using var model = BertForMaskedLM.FromPretrained(tiny.ModelDir);
        model.eval();
        var verbalizer = Verbalizer.Create(tiny.Tokenizer, ["terrible", "great"]);
        using var classifier = new ClozeClassifier(model, tiny.Tokenizer, ClozeTemplate.ItWas, verbalizer, maxLength: 32);
        string[] sentences = ["The plot was thin", "A long and rather wonderful film about a family"];
        using var noGrad = no_grad();
        using var labelLogits = classifier.Forward(sentences);
        Assert.Equal(new long[] { 2, 2 }, labelLogits.shape);
        for (int i = 0; i < sentences.Length; i++)
        {
            var (ids, mask) = ClozeTemplate.ItWas.Encode(tiny.Tokenizer, sentences[i], 32);
            using var all = model.forward(tensor(ids.Select(x => (long)x).ToArray(), new long[] { 1, ids.Length })).Logits;   // [1, T, V]
            for (int c = 0; c < 2; c++)
            {
                float expected = all[0, mask, verbalizer.TokenIds[c]].item<float>();
                float atFirst = all[0, 1, verbalizer.TokenIds[c]].item<float>();
                Assert.Equal(expected, labelLogits[i, c].item<float>(), 3);
                Assert.NotEqual(atFirst, labelLogits[i, c].item<float>(), 3);             // another position would give another value
            }
        }
    }
}
