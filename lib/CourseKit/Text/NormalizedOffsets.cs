using System.Globalization;
using Microsoft.ML.Tokenizers;

namespace CourseKit.Text;

/// <summary>
/// Maps character offsets in the tokenizer's normalized text back to the original text. BertTokenizer's
/// EncodedToken.Offset points into the normalized text, which can differ in length from the original (accents
/// stripped after NFD, control characters removed, spaces put around CJK characters, NFC composition). Each text
/// element (grapheme) of the original is normalized alone; where their concatenation equals the normalized text,
/// every normalized character is known to come from one original grapheme.
/// </summary>
sealed class NormalizedOffsets
{
    readonly int[]? _origStart; // per normalized char: start of its original grapheme
    readonly int[]? _origEnd;   // per normalized char: end of its original grapheme
    readonly int _originalLength;

    NormalizedOffsets(int[]? origStart, int[]? origEnd, int originalLength)
    {
        _origStart = origStart;
        _origEnd = origEnd;
        _originalLength = originalLength;
    }

    public static NormalizedOffsets Build(string original, string? normalized, Normalizer? normalizer)
    {
        if (normalized is null || normalizer is null || normalized.Length == original.Length && SameLetters(original, normalized))
            return new NormalizedOffsets(null, null, original.Length);
        var start = new List<int>(normalized.Length);
        var end = new List<int>(normalized.Length);
        var e = StringInfo.GetTextElementEnumerator(original);
        while (e.MoveNext())
        {
            int s = e.ElementIndex;
            var element = (string)e.Current;
            var n = normalizer.Normalize(element);
            for (int k = 0; k < n.Length; k++) { start.Add(s); end.Add(s + element.Length); }
        }
        if (start.Count != normalized.Length)
            return new NormalizedOffsets(null, null, original.Length); // not element-local: fall back to clamped identity
        return new NormalizedOffsets(start.ToArray(), end.ToArray(), original.Length);
    }

    /// <summary>The original span covering normalized [start, start + length).</summary>
    public CharSpan ToOriginal(int start, int length)
    {
        if (_origStart is null)
        {
            int s = Math.Clamp(start, 0, _originalLength);
            return new CharSpan(s, Math.Clamp(start + length, s, _originalLength) - s);
        }
        if (length <= 0 || start >= _origStart.Length)
        {
            int at = start < _origStart.Length ? _origStart[start] : _originalLength;
            return new CharSpan(at, 0);
        }
        int os = _origStart[start];
        int oe = _origEnd![Math.Min(start + length, _origEnd.Length) - 1];
        return new CharSpan(os, oe - os);
    }

    // Lower-casing (char by char) keeps positions: no map needed.
    static bool SameLetters(string a, string b)
    {
        for (int i = 0; i < a.Length; i++)
            if (a[i] != b[i] && char.ToLowerInvariant(a[i]) != b[i]) return false;
        return true;
    }
}
