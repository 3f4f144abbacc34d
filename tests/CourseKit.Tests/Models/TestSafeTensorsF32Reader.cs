using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tests.Models;

/// <summary>A throwaway F32-only safetensors reader so the parity tests run before CourseKit.Checkpoints lands.
/// Replace with SafeTensorsFile.LoadAll at integration.</summary>
internal static class TestSafeTensorsF32Reader
{
    public static Dictionary<string, Tensor> LoadAll(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var headerLength = (int)BitConverter.ToUInt64(bytes, 0);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, headerLength));
        var dataStart = 8 + headerLength;
        var result = new Dictionary<string, Tensor>();
        foreach (var entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__") continue;
            var dtype = entry.Value.GetProperty("dtype").GetString();
            if (dtype != "F32") throw new NotSupportedException($"{path}: tensor '{entry.Name}' is {dtype}; this test reader reads F32 only");
            var shape = entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            var floats = new float[(offsets[1] - offsets[0]) / 4];
            Buffer.BlockCopy(bytes, dataStart + (int)offsets[0], floats, 0, floats.Length * 4);
            result[entry.Name] = torch.tensor(floats).reshape(shape);
        }
        return result;
    }
}
