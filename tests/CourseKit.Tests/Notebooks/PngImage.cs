using System.Buffers.Binary;
using System.IO.Compression;

namespace CourseKit.Tests.Notebooks;

/// <summary>A minimal PNG decoder (8-bit RGB/RGBA, not interlaced: what Chromium's screenshots are) for checks
/// on rendered pages.</summary>
sealed class PngImage
{
    public int Width { get; }
    public int Height { get; }
    readonly byte[] _rgb;

    PngImage(int width, int height, byte[] rgb)
    {
        Width = width;
        Height = height;
        _rgb = rgb;
    }

    public (byte R, byte G, byte B) this[int x, int y] => (_rgb[(y * Width + x) * 3], _rgb[(y * Width + x) * 3 + 1], _rgb[(y * Width + x) * 3 + 2]);

    public static PngImage Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8 || bytes[1] != 'P' || bytes[2] != 'N' || bytes[3] != 'G') throw new InvalidDataException($"{path}: not a PNG");
        int width = 0, height = 0, channels = 0;
        using var idat = new MemoryStream();
        for (var pos = 8; pos < bytes.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(pos));
            var type = System.Text.Encoding.ASCII.GetString(bytes, pos + 4, 4);
            var data = bytes.AsSpan(pos + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                var (bitDepth, colorType, interlace) = (data[8], data[9], data[12]);
                if (bitDepth != 8 || interlace != 0 || colorType is not (2 or 6))
                    throw new InvalidDataException($"{path}: PNG depth {bitDepth}, color type {colorType}, interlace {interlace} not supported");
                channels = colorType == 6 ? 4 : 3;
            }
            else if (type == "IDAT") idat.Write(data);
            else if (type == "IEND") break;
            pos += 12 + length;
        }
        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        using var raw = new MemoryStream();
        z.CopyTo(raw);
        var src = raw.GetBuffer();
        var stride = width * channels;
        var prev = new byte[stride];
        var cur = new byte[stride];
        var rgb = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            var row = y * (stride + 1);
            var filter = src[row];
            for (var i = 0; i < stride; i++)
            {
                int a = i >= channels ? cur[i - channels] : 0, b = prev[i], c = i >= channels ? prev[i - channels] : 0;
                var x = src[row + 1 + i];
                cur[i] = (byte)(filter switch
                {
                    0 => x,
                    1 => x + a,
                    2 => x + b,
                    3 => x + (a + b) / 2,
                    4 => x + Paeth(a, b, c),
                    _ => throw new InvalidDataException($"{path}: bad PNG filter {filter} on row {y}"),
                });
            }
            for (var px = 0; px < width; px++)
                for (var ch = 0; ch < 3; ch++) rgb[(y * width + px) * 3 + ch] = cur[px * channels + ch];
            (prev, cur) = (cur, prev);
        }
        return new PngImage(width, height, rgb);
    }

    static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
