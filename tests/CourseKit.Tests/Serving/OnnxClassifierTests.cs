using CourseKit.Serving;

namespace CourseKit.Tests.Serving;

/// <summary>Classify over ONNX Runtime: the kit's export of the folder's head, fp32 and int8, against the torch backend.</summary>
[KeepTensorsAlive]
public sealed class OnnxClassifierTests(ServingModelsFixture models) : IClassFixture<ServingModelsFixture>
{
    static readonly ServingInput[] Inputs = new[] { "A gripping, beautifully acted film.", "Dull.", "Profit rose to EUR 13.1 mn from EUR 8.7 mn in the same period last year." }
        .Select(t => new ServingInput(t)).ToArray();

    ClassifyResult[] Classify(ServingBackend backend)
    {
        using var b = InferenceBackends.Load(models.Dirs[ServingTask.Classify], new ServingOptions { Task = ServingTask.Classify, Backend = backend, OnnxThreads = 1 });
        return b.Run(Inputs).Cast<ClassifyResult>().ToArray();
    }

    [Fact]
    public void Onnx_fp32_and_int8_classify_like_the_torch_backend()
    {
        var torch = Classify(ServingBackend.Torch);
        var onnx = Classify(ServingBackend.Onnx);
        var int8 = Classify(ServingBackend.OnnxInt8);
        Assert.True(File.Exists(Path.Combine(models.Dirs[ServingTask.Classify], "onnx", "sequence-classification.onnx")));
        Assert.True(File.Exists(Path.Combine(models.Dirs[ServingTask.Classify], "onnx", "sequence-classification.int8.onnx")));
        for (int i = 0; i < Inputs.Length; i++)
        {
            Assert.Equal(ServingModelsFixture.ClassLabels, onnx[i].Scores.Keys);
            Assert.Equal(torch[i].Label, onnx[i].Label);
            foreach (var label in ServingModelsFixture.ClassLabels)
            {
                Assert.True(Math.Abs(torch[i].Scores[label] - onnx[i].Scores[label]) < 1e-4, $"fp32, input {i}, {label}");
                // int8 weights and activations on a random tiny model: probabilities within a few hundredths.
                Assert.True(Math.Abs(torch[i].Scores[label] - int8[i].Scores[label]) < 0.05, $"int8, input {i}, {label}");
            }
        }
    }

    [Fact]
    public void Torch_packed_classifies_like_the_torch_backend()
    {
        var torch = Classify(ServingBackend.Torch);
        var packed = Classify(ServingBackend.TorchPacked);
        for (int i = 0; i < Inputs.Length; i++)
        {
            Assert.Equal(torch[i].Label, packed[i].Label);
            foreach (var label in ServingModelsFixture.ClassLabels)
                Assert.True(Math.Abs(torch[i].Scores[label] - packed[i].Scores[label]) < 1e-5, $"input {i}, {label}");
        }
        using var b = InferenceBackends.Load(models.Dirs[ServingTask.Classify], new ServingOptions { Task = ServingTask.Classify, Backend = ServingBackend.TorchPacked });
        Assert.Contains("packed oneDNN", b.Description);
    }

    [Fact]
    public void A_graph_without_logits_is_refused_naming_its_outputs()
    {
        var embedGraph = Path.Combine(models.Root, "embed-head.onnx");
        CourseKit.Checkpoints.OnnxExport.ExportFolder(models.Dirs[ServingTask.Embed], embedGraph,
            new CourseKit.Checkpoints.OnnxExportOptions { Head = CourseKit.Checkpoints.OnnxExportHead.Embedding });
        var e = Assert.Throws<InvalidDataException>(() => InferenceBackends.Load(models.Dirs[ServingTask.Classify],
            new ServingOptions { Task = ServingTask.Classify, Backend = ServingBackend.Onnx, OnnxPath = embedGraph }));
        Assert.Contains("sentence_embedding", e.Message);
    }
}
