using System.IO.Compression;
using System.Text;
using CourseKit.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Models;

/// <summary>
/// libtorch's oneDNN linear on a weight reordered once into the kernel's blocked layout
/// (<c>mkldnn::_reorder_linear_weight</c> + <c>mkldnn::_linear_pointwise</c>, the pair PyTorch's Inductor uses on CPU).
/// At batch 1 the GEMM dominates a BERT forward, and with the weights streaming from memory this kernel runs the
/// encoder's matrices 1.15–1.44× as fast as <c>F.linear</c> (MKL) on the course machine. TorchSharp 0.107 has no
/// binding for these ops and <c>torch.jit.compile</c> resolves only aten ops, so the kit writes a two-method TorchScript
/// archive (source text, no weights) and loads it with <c>torch.jit.load</c>, whose importer resolves <c>ops.mkldnn.*</c>.
/// Inference only: the reordered weight has no autograd. A libtorch without the ops would end the process inside
/// <c>jit.load</c> (an uncaught C++ exception), so <see cref="IsAvailable"/> first looks for both schemas in the loaded
/// libtorch_cpu.
/// </summary>
public static class OneDnnLinear
{
    const string PackSchema = "mkldnn::_reorder_linear_weight(Tensor self, int? batch_size=None)";
    const string LinearSchema = "mkldnn::_linear_pointwise(Tensor X, Tensor W, Tensor? B, str attr, Scalar?[] scalars, str? algorithm)";

    const string Code = """
        class Packer(Module):
          __parameters__ = []
          __buffers__ = []
          training : bool
          def forward(self: __torch__.Packer,
            w: Tensor) -> Tensor:
            return ops.mkldnn._reorder_linear_weight(w, None)
          def linear(self: __torch__.Packer,
            x: Tensor,
            packed: Tensor,
            b: Optional[Tensor]) -> Tensor:
            return ops.mkldnn._linear_pointwise(x, packed, b, "none", annotate(List[Optional[number]], []), "")

        """;

    static readonly Lazy<bool> Available = new(FindSchemas);
    static readonly Lazy<jit.ScriptModule> Module = new(Load);

    /// <summary>True when the loaded libtorch_cpu registers both ops (looked up once per process).</summary>
    public static bool IsAvailable => Available.Value;

    /// <summary>The weight [out, in] reordered for the oneDNN kernel (an opaque tensor; keep it with the Linear).</summary>
    public static Tensor Pack(Tensor weight) => (Tensor)Module.Value.invoke("forward", weight.detach().contiguous());

    /// <summary>x [..., in] · Wᵀ + b with a weight from <see cref="Pack"/>; the same result as <c>F.linear</c> to
    /// float32 rounding.</summary>
    public static Tensor Run(Tensor x, Tensor packed, Tensor? bias)
    {
        if (x.dim() == 2) return (Tensor)Module.Value.invoke("linear", x, packed, bias);
        var shape = x.shape;
        using var flat = x.reshape(-1, shape[^1]);
        using var y = (Tensor)Module.Value.invoke("linear", flat, packed, bias);
        shape[^1] = y.shape[1];
        return y.reshape(shape);
    }

    static bool FindSchemas()
    {
        if (TorchRuntime.LoadedLibraryPath("libtorch_cpu.so") is not { } path) return false;
        return FileContains(path, [Encoding.ASCII.GetBytes(PackSchema), Encoding.ASCII.GetBytes(LinearSchema)]);
    }

    /// <summary>Whether every pattern occurs in the file (read in blocks that overlap by the longest pattern).</summary>
    static bool FileContains(string path, byte[][] patterns)
    {
        var found = new bool[patterns.Length];
        int overlap = patterns.Max(p => p.Length);
        var buffer = new byte[(16 << 20) + overlap];
        using var file = File.OpenRead(path);
        int kept = 0, read;
        while ((read = file.Read(buffer, kept, buffer.Length - kept)) > 0)
        {
            var span = buffer.AsSpan(0, kept + read);
            for (int i = 0; i < patterns.Length; i++) found[i] |= span.IndexOf(patterns[i]) >= 0;
            if (found.All(f => f)) return true;
            kept = Math.Min(overlap, span.Length);
            span[^kept..].CopyTo(buffer);
        }
        return false;
    }

    static jit.ScriptModule Load()
    {
        if (!IsAvailable) throw new NotSupportedException("this libtorch has no mkldnn::_linear_pointwise / _reorder_linear_weight (built without oneDNN?); run the model unpacked");
        var path = Path.Combine(Path.GetTempPath(), $"coursekit-onednn-linear-{Environment.ProcessId}.pt");
        WriteArchive(path);
        try { return jit.load(path); }
        finally { File.Delete(path); }
    }

    /// <summary>A TorchScript archive holding one module type and no tensors: the code, a pickled instance
    /// (<c>__torch__.Packer</c> with <c>training = False</c>), empty constants and the format version.</summary>
    static void WriteArchive(string path)
    {
        byte[] instance = [0x80, 0x02, .. "c__torch__\nPacker\nq\0"u8, (byte)')', 0x81, (byte)'}', (byte)'q', 0x01,
            (byte)'X', 0x08, 0, 0, 0, .. "training"u8, (byte)'q', 0x02, 0x89, (byte)'s', (byte)'b', (byte)'.'];
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        void Entry(string name, byte[] bytes)
        {
            using var stream = zip.CreateEntry($"archive/{name}", CompressionLevel.NoCompression).Open();
            stream.Write(bytes);
        }
        Entry("data.pkl", instance);
        Entry("code/__torch__.py", Encoding.UTF8.GetBytes(Code.Replace("\r\n", "\n")));
        Entry("constants.pkl", [0x80, 0x02, (byte)')', (byte)'.']);
        Entry("version", "3\n"u8.ToArray());
    }
}
