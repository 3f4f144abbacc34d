using CourseKit.Tasks.SequenceClassification;

namespace CourseKit.Tests.Tasks.SequenceClassification;

[KeepTensorsAlive]
public class FineTuneLearningRateTests
{
    [Fact]
    public void A_single_rate_applies_to_every_method()
    {
        var o = new FineTuneOptions().WithLearningRates("1e-4");
        Assert.Equal(1e-4, o.LearningRate);
        Assert.Equal(1e-4, (o with { Method = "lora" }).EffectiveLearningRate);
    }

    [Fact]
    public void Per_method_rates_override_the_base_rate()
    {
        var o = new FineTuneOptions().WithLearningRates("1e-4, lora=1e-3,PROMPT=3e-2");
        Assert.Equal(1e-4, (o with { Method = "full" }).EffectiveLearningRate);
        Assert.Equal(1e-3, (o with { Method = "lora" }).EffectiveLearningRate);
        Assert.Equal(3e-2, (o with { Method = "prompt" }).EffectiveLearningRate);
        Assert.Equal(2e-5, new FineTuneOptions().WithLearningRates("lora=1e-3").LearningRate);
    }

    [Fact]
    public void A_head_rate_applies_to_the_classifier_and_pooler_of_peft_methods_only()
    {
        var o = new FineTuneOptions { HeadLearningRate = 5e-3 };
        Assert.Null((o with { Method = "full" }).ModuleLearningRates);
        Assert.Null((o with { Method = "head" }).ModuleLearningRates);
        Assert.Null((new FineTuneOptions() with { Method = "prefix" }).ModuleLearningRates);
        var prefix = (o with { Method = "prefix" }).ModuleLearningRates!;
        Assert.Equal(new[] { "classifier", "pooler" }, prefix.Keys.Order());
        Assert.All(prefix.Values, rate => Assert.Equal(5e-3, rate));
        Assert.Contains("head learning rate", Assert.Throws<ArgumentException>(() => (o with { HeadLearningRate = -1 }).Validate()).Message);
    }

    [Theory]
    [InlineData("fast")]
    [InlineData("lora=abc")]
    [InlineData("lora=-1e-3")]
    [InlineData("0")]
    public void Bad_rates_are_refused_naming_the_item(string spec)
    {
        var e = Assert.Throws<ArgumentException>(() => new FineTuneOptions().WithLearningRates(spec));
        Assert.Contains("learning rate", e.Message);
    }
}
