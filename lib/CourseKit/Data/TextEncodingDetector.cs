using System.Text;

namespace CourseKit.Data;

/// <summary>Tells UTF-8 from Latin-1 (ISO-8859-1) text, the two encodings found in the course's data files.</summary>
public static class TextEncodingDetector
{
    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>UTF-8 when the bytes are valid UTF-8 (ASCII included), else Latin-1. Reliable in practice: Latin-1
    /// text with accented letters almost never forms valid multi-byte UTF-8 sequences (an accented letter followed
    /// by one or more bytes in 0x80-0xBF, which are control codes in Latin-1).</summary>
    public static Encoding Detect(ReadOnlySpan<byte> bytes)
    {
        try
        {
            StrictUtf8.GetCharCount(bytes);
            return StrictUtf8;
        }
        catch (DecoderFallbackException)
        {
            return Encoding.Latin1;
        }
    }

    /// <summary>Reads the whole file with the detected encoding (a UTF-8 byte-order mark is dropped).</summary>
    public static string ReadAllText(string path, out Encoding encoding)
    {
        var bytes = File.ReadAllBytes(path);
        var span = bytes.AsSpan();
        if (span.StartsWith(new byte[] { 0xEF, 0xBB, 0xBF })) span = span[3..];
        encoding = Detect(span);
        return encoding.GetString(span);
    }
}
