using TorchSharp;

namespace CourseKit.Checkpoints;

/// <summary>
/// The element types of the safetensors format. The enum order is the reference implementation's dtype order
/// (increasing alignment), which its writer uses to lay out the data: widest first, then by name.
/// </summary>
public enum SafeTensorsDType
{
    BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64,
}

public static class SafeTensorsDTypes
{
    /// <summary>Bytes per element.</summary>
    public static int Size(this SafeTensorsDType dtype) => dtype switch
    {
        SafeTensorsDType.BOOL or SafeTensorsDType.U8 or SafeTensorsDType.I8
            or SafeTensorsDType.F8_E5M2 or SafeTensorsDType.F8_E4M3 => 1,
        SafeTensorsDType.I16 or SafeTensorsDType.U16 or SafeTensorsDType.F16 or SafeTensorsDType.BF16 => 2,
        SafeTensorsDType.I32 or SafeTensorsDType.U32 or SafeTensorsDType.F32 => 4,
        SafeTensorsDType.F64 or SafeTensorsDType.I64 or SafeTensorsDType.U64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>The dtype spelled as in a header ("F32", "BF16", ...), or null when the name is not one.</summary>
    public static SafeTensorsDType? Parse(string name) =>
        Enum.TryParse<SafeTensorsDType>(name, ignoreCase: false, out var d) && Enum.IsDefined(d) && name == d.ToString()
            ? d : null;

    /// <summary>The TorchSharp element type for a dtype, or null where TorchSharp has none (F8, unsigned 16/32/64).</summary>
    public static torch.ScalarType? ToScalarType(this SafeTensorsDType dtype) => dtype switch
    {
        SafeTensorsDType.BOOL => torch.ScalarType.Bool,
        SafeTensorsDType.U8 => torch.ScalarType.Byte,
        SafeTensorsDType.I8 => torch.ScalarType.Int8,
        SafeTensorsDType.I16 => torch.ScalarType.Int16,
        SafeTensorsDType.F16 => torch.ScalarType.Float16,
        SafeTensorsDType.BF16 => torch.ScalarType.BFloat16,
        SafeTensorsDType.I32 => torch.ScalarType.Int32,
        SafeTensorsDType.F32 => torch.ScalarType.Float32,
        SafeTensorsDType.F64 => torch.ScalarType.Float64,
        SafeTensorsDType.I64 => torch.ScalarType.Int64,
        _ => null,
    };

    /// <summary>The safetensors dtype for a TorchSharp element type, or null where the format has none (complex types).</summary>
    public static SafeTensorsDType? FromScalarType(torch.ScalarType type) => type switch
    {
        torch.ScalarType.Bool => SafeTensorsDType.BOOL,
        torch.ScalarType.Byte => SafeTensorsDType.U8,
        torch.ScalarType.Int8 => SafeTensorsDType.I8,
        torch.ScalarType.Int16 => SafeTensorsDType.I16,
        torch.ScalarType.Float16 => SafeTensorsDType.F16,
        torch.ScalarType.BFloat16 => SafeTensorsDType.BF16,
        torch.ScalarType.Int32 => SafeTensorsDType.I32,
        torch.ScalarType.Float32 => SafeTensorsDType.F32,
        torch.ScalarType.Float64 => SafeTensorsDType.F64,
        torch.ScalarType.Int64 => SafeTensorsDType.I64,
        _ => null,
    };
}
