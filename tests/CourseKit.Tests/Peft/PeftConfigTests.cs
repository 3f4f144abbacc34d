using System.Globalization;
using CourseKit.Native;
using CourseKit.Peft;
using Microsoft.Data.Analysis;
using static CourseKit.Tests.Peft.PeftTestData;

namespace CourseKit.Tests.Peft;

[Collection(PeftSerialCollection.Name)]
[KeepTensorsAlive]
public class PeftConfigTests
{
    public PeftConfigTests() => TorchRuntime.Initialize();

    [Fact]
    public void Trainable_parameters_prints_like_peft()
    {
        var summary = new TrainableParameters(1234, 56789, new DataFrame());
        // 1234 / 56789 = 0.0217296...
        Assert.Equal("trainable params: 1,234 || all params: 56,789 || trainable%: 2.1730", summary.ToString());
        var previous = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = new CultureInfo("de-DE");
            Assert.Equal("trainable params: 1,234 || all params: 56,789 || trainable%: 2.1730", summary.ToString());
        }
        finally { CultureInfo.CurrentCulture = previous; }
    }

    [Fact]
    public void By_module_table_lists_the_modules_that_train()
    {
        var peft = PeftModel.Create(Base(Head.Sequence), Config("lora"));
        var table = peft.TrainableParameters().ByModule;
        var modules = table.Columns["module"].Cast<string>().ToList();
        Assert.Equal(new[]
        {
            "base_model.model.bert.encoder.layer.0.attention.self.query.lora_A", "base_model.model.bert.encoder.layer.0.attention.self.query.lora_B",
            "base_model.model.bert.encoder.layer.0.attention.self.value.lora_A", "base_model.model.bert.encoder.layer.0.attention.self.value.lora_B",
            "base_model.model.bert.encoder.layer.1.attention.self.query.lora_A", "base_model.model.bert.encoder.layer.1.attention.self.query.lora_B",
            "base_model.model.bert.encoder.layer.1.attention.self.value.lora_A", "base_model.model.bert.encoder.layer.1.attention.self.value.lora_B",
            "base_model.model.bert.pooler.dense", "base_model.model.classifier",
        }, modules);
        Assert.Equal(4L * H, table.Columns["trainable"][0]);
        Assert.Equal((long)H * H + H, table.Columns["total"][8]);
        Assert.Equal(2L * H + 2, table.Columns["total"][9]);
    }

    public static IEnumerable<object[]> AllMethods() => Methods.Select(m => new object[] { m });

    [Theory]
    [MemberData(nameof(AllMethods))]
    public void Configs_round_trip_through_adapter_config_json(string method)
    {
        var config = Config(method);
        var json = config.ToJson();
        Assert.Contains($"\"peft_type\": \"{config.PeftType}\"", json);
        var back = PeftConfig.FromJson(json);
        Assert.Equal(config.GetType(), back.GetType());
        Assert.Equal(json, back.ToJson());
    }

    /// <summary>The one registry: each method's default config is of its declared type and peft_type, valid, read back
    /// through the registry, and offered by the sequence-classification runner without any registration call.</summary>
    [Fact]
    public void Every_registered_method_has_a_valid_default_config_that_reads_back_and_is_a_runner_method()
    {
        Assert.Equal(["lora", "adalora", "adapter", "prefix", "prompt", "bitfit", "ia3"], PeftMethods.Names);
        Assert.Equal(PeftMethods.All.Count, PeftMethods.All.Select(m => m.PeftType).Distinct().Count());
        foreach (var method in PeftMethods.All)
        {
            var config = method.DefaultConfig(100);
            Assert.IsType(method.ConfigType, config);
            Assert.Equal(method.PeftType, config.PeftType);
            config.Validate();
            Assert.Same(method, PeftMethods.ForPeftType(config.PeftType));
            Assert.Equal(config.ToJson(), PeftConfig.FromJson(config.ToJson()).ToJson());
            Assert.Equal(method.Description, CourseKit.Tasks.SequenceClassification.FineTuningMethods.Get(method.Name).Description);
        }
        var adaLora = (AdaLoraConfig)PeftMethods.All.Single(m => m.Name == "adalora").DefaultConfig(100);
        Assert.Equal((100L, 10L, 20L), (adaLora.TotalStep!.Value, adaLora.TInit, adaLora.TFinal));   // the schedule spans the run
        var ex = Assert.Throws<InvalidDataException>(() => PeftConfig.FromJson("""{"peft_type": "NOPE"}"""));
        Assert.Contains("LORA, ADALORA, BOTTLENECK_ADAPTER, PREFIX_TUNING, PROMPT_TUNING, BITFIT, IA3", ex.Message);
    }

    [Fact]
    public void Target_modules_are_lists_or_a_regex_in_json_as_in_peft()
    {
        var lora = (LoraConfig)PeftConfig.FromJson("""{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["query", "key"], "some_future_field": 1}""");
        Assert.Equal(new[] { "query", "key" }, lora.TargetModules.Names);
        Assert.Equal(2.0, lora.Scaling);
        var regex = (LoraConfig)PeftConfig.FromJson("""{"peft_type": "LORA", "target_modules": ".*layer\\.1\\..*value"}""");
        Assert.Equal(@".*layer\.1\..*value", regex.TargetModules.Pattern);
        Assert.Contains("\"target_modules\": \".*layer", regex.ToJson().Replace("\\\\", "\\"));
    }

    [Fact]
    public void Bad_configs_name_the_source_and_field()
    {
        var unknown = Assert.Throws<InvalidDataException>(() => PeftConfig.FromJson("""{"peft_type": "LOHA"}""", "x/adapter_config.json"));
        Assert.Contains("x/adapter_config.json", unknown.Message);
        Assert.Contains("LOHA", unknown.Message);
        var rank = Assert.Throws<InvalidDataException>(() => PeftConfig.FromJson("""{"peft_type": "LORA", "r": 0}""", "y.json"));
        Assert.Contains("r must be at least 1", rank.Message);
        Assert.Throws<ArgumentException>(() => PeftModel.Create(Base(Head.Sequence), new AdaLoraConfig { InitR = 4, TargetR = 2 }));   // no total_step
        Assert.Throws<FileNotFoundException>(() => PeftModel.Load(Base(Head.Sequence), TestPaths.NewTempDir()));
    }

    [Theory]
    [InlineData("query", 2)]                                                // suffix
    [InlineData("attention.output.dense", 2)]                               // dotted suffix
    [InlineData("bert.encoder.layer.1.attention.self.key", 1)]              // exact name
    public void Targets_by_name_or_suffix(string target, int expected)
    {
        var peft = PeftModel.Create(Base(Head.Token), new LoraConfig { R = 2, TargetModules = TargetModules.Of(target) });
        Assert.Equal(expected, peft.Tuner.Layers.Count);
        Assert.All(peft.Tuner.Layers, l => Assert.True(l.Name == target || l.Name.EndsWith("." + target)));
    }

    [Fact]
    public void Targets_by_regex_match_the_full_name()
    {
        var peft = PeftModel.Create(Base(Head.Token), new LoraConfig { R = 2, TargetModules = TargetModules.Matching(@".*layer\.0\.(intermediate|output)\.dense") });
        Assert.Equal(new[] { "bert.encoder.layer.0.intermediate.dense", "bert.encoder.layer.0.output.dense" }, peft.Tuner.Layers.Select(l => l.Name));
        Assert.DoesNotContain(PeftModel.Create(Base(Head.Token), new IA3Config()).Tuner.Layers, l => l.Name.Contains("attention.output"));
    }

    [Fact]
    public void Targets_that_are_missing_not_linear_or_not_called_are_refused()
    {
        var none = Assert.Throws<ArgumentException>(() => PeftModel.Create(Base(Head.Sequence), new LoraConfig { TargetModules = TargetModules.Of("qkv") }));
        Assert.Contains("qkv", none.Message);
        var norm = Assert.Throws<ArgumentException>(() => PeftModel.Create(Base(Head.Sequence), new LoraConfig { TargetModules = TargetModules.Of("LayerNorm") }));
        Assert.Contains("LayerNorm", norm.Message);
        // The head calls its Linear through forward(), not call(): a LoRA there would never run.
        var silent = Assert.Throws<InvalidOperationException>(() =>
            PeftModel.Create(Base(Head.Sequence), new LoraConfig { TargetModules = TargetModules.Of("classifier"), ModulesToSave = [] }));
        Assert.Contains("classifier", silent.Message);
        var save = Assert.Throws<ArgumentException>(() => PeftModel.Create(Base(Head.Sequence), new BitFitConfig { ModulesToSave = ["score"] }));
        Assert.Contains("score", save.Message);
    }
}
