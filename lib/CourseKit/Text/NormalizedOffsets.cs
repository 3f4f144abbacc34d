using System.Globalization;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace CourseKit.Text;

/// <summary>
/// Maps character offsets in the tokenizer's normalized text back to the original text. BertTokenizer's
/// EncodedToken.Offset points into the normalized text, which can differ in length from the original (accents
/// stripped after NFD, control and format characters removed, spaces put around CJK characters, NFC composition).
/// Each code point (or, failing that, each grapheme) of the original is normalized alone; where their concatenation
/// equals the normalized text, every normalized character is known to come from one original code point (grapheme).
/// </summary>
sealed class NormalizedOffsets
{
    readonly int[]? _origStart; // per normalized char: start of its original code point or grapheme
    readonly int[]? _origEnd;   // per normalized char: end of it
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
        // Finest first: each code point alone (exact even where characters are removed), else each grapheme (NFC
        // composes a letter with its combining marks), else clamped identity.
        return TryUnits(original, normalized, normalizer, CodePoints(original))
            ?? TryUnits(original, normalized, normalizer, Graphemes(original))
            ?? new NormalizedOffsets(null, null, original.Length);
    }

    static NormalizedOffsets? TryUnits(string original, string normalized, Normalizer normalizer, IEnumerable<(int Start, int Length)> units)
    {
        var start = new List<int>(normalized.Length);
        var end = new List<int>(normalized.Length);
        var joined = new StringBuilder(normalized.Length);
        foreach (var (s, l) in units)
        {
            var n = normalizer.Normalize(original.AsSpan(s, l));
            joined.Append(n);
            for (int k = 0; k < n.Length; k++) { start.Add(s); end.Add(s + l); }
        }
        return joined.ToString() == normalized ? new NormalizedOffsets(start.ToArray(), end.ToArray(), original.Length) : null;
    }

    static IEnumerable<(int, int)> CodePoints(string s)
    {
        for (int i = 0; i < s.Length; i += char.IsSurrogatePair(s, i) ? 2 : 1)
            yield return (i, char.IsSurrogatePair(s, i) ? 2 : 1);
    }

    static IEnumerable<(int, int)> Graphemes(string s)
    {
        var e = StringInfo.GetTextElementEnumerator(s);
        while (e.MoveNext()) yield return (e.ElementIndex, ((string)e.Current).Length);
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
