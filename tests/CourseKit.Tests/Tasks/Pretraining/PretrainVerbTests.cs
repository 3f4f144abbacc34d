using System.Text.Json.Nodes;
using CourseKit.Cli.Verbs;
using CourseKit.Models;
using CourseKit.Tasks.Pretraining;

namespace CourseKit.Tests.Tasks.Pretraining;

/// <summary>Issue 4's acceptance through the command line: `course pretrain bert --profile quick --out X` (the CI profile)
/// writes the run into X (the model into X/model, no extra level) and a checkpoint that loads, and its held-out masked-LM loss is far below the uniform guess ln 28,996 = 10.27.</summary>
[Collection(Models.TorchGlobalRngCollection.Name)]
[KeepTensorsAlive]
public class PretrainVerbTests
{
    [Fact]
    public void Quick_bert_profile_writes_a_loadable_checkpoint_far_below_the_uniform_loss()
    {
        var outDir = TestPaths.NewTempDir("coursekit-pretrain-cli");
        int code = PretrainVerb.Create().Parse(["bert", "--profile", "quick", "--seed", "42", "--out", outDir]).Invoke();
        Assert.Equal(0, code);

        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, MaskedLmPretraining.MetricsFile)))!;
        double uniform = Math.Log(PretrainingRecipes.BertCasedVocabSize);
        double loss = metrics["heldout_loss"]!.GetValue<double>();
        Assert.True(loss < uniform - 1.5, $"held-out MLM loss {loss:F3} is not well below the uniform {uniform:F3}");
        Assert.True(metrics["heldout_masked_tokens"]!.GetValue<long>() > 100);

        using var model = BertForMaskedLM.FromPretrained(Path.Combine(outDir, MaskedLmPretraining.ModelFolder));
        Assert.Equal(PretrainingRecipes.BertCasedVocabSize, model.Config.VocabSize);
        Assert.Equal(4, model.Config.NumHiddenLayers);
        Assert.True(File.Exists(Path.Combine(outDir, MaskedLmPretraining.ModelFolder, "vocab.txt")));
        Assert.False(Directory.Exists(Path.Combine(outDir, "bert")), "--out is the run's folder: no bert/ level inside it");
    }
}
