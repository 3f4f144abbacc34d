using System.Buffers.Binary;
using System.Text;

namespace CourseKit.Tests.Checkpoints;

/// <summary>Builds safetensors files byte by byte, independent of the library's writer.</summary>
static class SafeTensorsBytes
{
    public static byte[] File(string headerJson, byte[] data, ulong? headerLengthOverride = null, bool pad = true)
    {
        var header = Encoding.UTF8.GetBytes(headerJson);
        if (pad && header.Length % 8 != 0)
            header = header.Concat(Enumerable.Repeat((byte)' ', 8 - header.Length % 8)).ToArray();
        return File(header, data, headerLengthOverride);
    }

    public static byte[] File(byte[] header, byte[] data, ulong? headerLengthOverride = null)
    {
        var prefix = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, headerLengthOverride ?? (ulong)header.Length);
        return prefix.Concat(header).Concat(data).ToArray();
    }

    public static byte[] F32(params float[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();
    public static byte[] F64(params double[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();
    public static byte[] F16(params float[] v) => v.SelectMany(x => BitConverter.GetBytes((Half)x)).ToArray();
    /// <summary>bfloat16 = the upper 16 bits of the float32 pattern (values chosen exact, so no rounding question).</summary>
    public static byte[] BF16(params float[] v) => v.SelectMany(x => BitConverter.GetBytes((ushort)(BitConverter.SingleToUInt32Bits(x) >> 16))).ToArray();
    public static byte[] I64(params long[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();
    public static byte[] I32(params int[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();
    public static byte[] I16(params short[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();
    public static byte[] I8(params sbyte[] v) => v.Select(x => (byte)x).ToArray();
    public static byte[] Bool(params bool[] v) => v.Select(x => x ? (byte)1 : (byte)0).ToArray();

    public static string Write(string dir, string name, byte[] bytes)
    {
        var path = Path.Combine(dir, name);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }
}
