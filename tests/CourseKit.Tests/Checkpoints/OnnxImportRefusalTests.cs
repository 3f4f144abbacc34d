using System.Xml.Linq;
using CourseKit.Checkpoints;
using CourseKit.Native;
using CourseKit.Tests.Models;
using Onnx;

namespace CourseKit.Tests.Checkpoints;

/// <summary>Graphs and files the importer must refuse, with an error naming what is wrong and nothing written.</summary>
[Collection(TorchGlobalRngCollection.Name)]
[KeepTensorsAlive]
public class OnnxImportRefusalTests : IDisposable
{
    readonly string _tmp = TestPaths.NewTempDir("coursekit-onnx-refusal");
    readonly string _target;

    public OnnxImportRefusalTests()
    {
        TorchRuntime.Initialize();
        _target = Path.Combine(_tmp, "out", "model");
    }

    public void Dispose()
    {
        try { Directory.Delete(_tmp, recursive: true); } catch (IOException) { }
    }

    static ModelProto MiniLMGraph() => OnnxGraphIndex.ParseModel(PackagedEncoders.Onnx("minilm"), "minilm.onnx");

    InvalidDataException Refused(Action import)
    {
        var e = Assert.Throws<InvalidDataException>(import);
        Assert.False(Directory.Exists(_target), "the target folder was written");
        var parent = Path.GetDirectoryName(_target)!;
        Assert.Empty(Directory.Exists(parent) ? Directory.GetFileSystemEntries(parent) : []);   // no temp folder left over
        return e;
    }

    [Fact]
    public void A_truncated_onnx_file_is_refused()
    {
        var bytes = PackagedEncoders.Onnx("minilm");
        var e = Refused(() => OnnxImport.ImportBert(bytes[..(bytes.Length / 2)], "cut.onnx", PackagedEncoders.Vocab("minilm"), "vocab.txt", _target));
        Assert.Contains("cut.onnx", e.Message);
    }

    [Fact]
    public void A_weight_whose_matmul_was_rewired_to_an_unknown_op_is_refused_naming_it()
    {
        var model = MiniLMGraph();
        // The first projection: an unnamed weight into a MatMul whose output takes the query bias.
        var matmul = model.Graph.Node.First(n => n.OpType == "MatMul" && model.Graph.Initializer.Any(i => i.Name == n.Input[1]));
        var weight = matmul.Input[1];
        matmul.OpType = "MysteryMatMul";
        var e = Refused(() => OnnxImport.ImportBert(model, "tampered.onnx", PackagedEncoders.Vocab("minilm"), "vocab.txt", _target));
        Assert.Contains("tampered.onnx", e.Message);
        Assert.Contains($"'{weight}'", e.Message);
        Assert.Contains("MysteryMatMul", e.Message);
    }

    [Fact]
    public void A_graph_missing_a_tensor_is_refused_naming_it()
    {
        var model = MiniLMGraph();
        const string name = "encoder.layer.3.output.LayerNorm.bias";
        model.Graph.Initializer.Remove(model.Graph.Initializer.Single(i => i.Name == name));
        var e = Refused(() => OnnxImport.ImportBert(model, "lacking.onnx", PackagedEncoders.Vocab("minilm"), "vocab.txt", _target));
        Assert.Contains(name, e.Message);
    }

    [Fact]
    public void A_vocabulary_whose_size_disagrees_with_the_embeddings_is_refused()
    {
        var vocab = PackagedEncoders.Vocab("minilm");
        var shorter = vocab[..(Array.LastIndexOf(vocab, (byte)'\n', vocab.Length - 2) + 1)];   // one token fewer
        var e = Refused(() => OnnxImport.ImportBert(MiniLMGraph(), "minilm.onnx", shorter, "short-vocab.txt", _target));
        Assert.Contains("short-vocab.txt", e.Message);
        Assert.Contains("30521 tokens", e.Message);
        Assert.Contains("30522", e.Message);
    }

    [Fact]
    public void A_refused_import_leaves_an_existing_folder_as_it_was()
    {
        Directory.CreateDirectory(_target);
        File.WriteAllText(Path.Combine(_target, "keep.txt"), "old");
        var bytes = PackagedEncoders.Onnx("minilm");
        Assert.Throws<InvalidDataException>(() => OnnxImport.ImportBert(bytes[..1000], "cut.onnx", PackagedEncoders.Vocab("minilm"), "vocab.txt", _target));
        Assert.Equal(["keep.txt"], Directory.GetFiles(_target).Select(Path.GetFileName));
        Assert.Single(Directory.GetFileSystemEntries(Path.GetDirectoryName(_target)!));
    }

    [Fact]
    public void A_resource_the_assembly_lacks_is_refused_naming_it()
    {
        var dll = KnownEncoders.PackageAssemblyPath(KnownEncoders.MiniLM);
        var e = Assert.Throws<InvalidDataException>(() => KnownEncoders.ReadManifestResource(dll, "No.Such.Resource"));
        Assert.Contains("No.Such.Resource", e.Message);
    }

    [Fact]
    public void The_library_asks_for_the_package_version_that_the_build_restores()
    {
        var props = XDocument.Load(TestPaths.InRepo("Directory.Packages.props"));
        var pinned = props.Descendants("SentenceTransformersPackagesVersion").Single().Value;
        Assert.Equal(KnownEncoders.PackagesVersion, pinned);
        Assert.All(KnownEncoders.All, e => Assert.True(File.Exists(KnownEncoders.PackageAssemblyPath(e))));
    }

    [Fact]
    public void Encoders_are_found_by_short_name_or_folder_name_in_any_case_and_an_unknown_name_is_named_in_the_error()
    {
        Assert.Same(KnownEncoders.MiniLM, KnownEncoders.TryGet("MiniLM"));
        Assert.Same(KnownEncoders.ArcticXs, KnownEncoders.TryGet("SNOWFLAKE-arctic-embed-xs"));
        Assert.Null(KnownEncoders.TryGet("all-MiniLM-L12-v2"));
        var e = Assert.Throws<ArgumentException>(() => KnownEncoders.Get("all-MiniLM-L12-v2"));
        Assert.Contains("all-MiniLM-L12-v2", e.Message);
        Assert.Contains("arctic-xs", e.Message);
    }
}
