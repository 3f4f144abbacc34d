using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace CourseKit.Text;

/// <summary>
/// Hugging Face BERT's text cleaning and pre-tokenization, plugged into Microsoft.ML.Tokenizers' BertTokenizer
/// through <see cref="WordPieceOptions.PreTokenizer"/> and <see cref="WordPieceOptions.Normalizer"/>.
/// <para>
/// BertTokenizer's own pre-tokenizer matches <c>\w+|\p{P}</c> and skips whatever is neither: every symbol (Unicode
/// S*: <c>$ + &lt; = &gt; ^ ` | ~ £ € ° ©</c>), "other" numbers (² ½), spacing marks and format characters vanish
/// without a token, and "_" (a \w character) stays inside words. Hugging Face (BasicTokenizer, BertPreTokenizer)
/// splits on whitespace and makes each punctuation character — Unicode P* or ASCII 33-47, 58-64, 91-96, 123-126,
/// which adds <c>$ + &lt; = &gt; ^ ` | ~</c> — a word of its own; everything else stays in its word for WordPiece.
/// </para>
/// </summary>
static partial class BertPreTokenization
{
    const string Punctuation = @"\p{P}$+<=>^`|~";

    [GeneratedRegex($"[{Punctuation}]|[^\\s{Punctuation}]+")]
    private static partial Regex PunctuationOrWord();

    /// <summary>The Hugging Face split; <paramref name="specialTokens"/> (as the normalized text spells them) stay whole.</summary>
    public static PreTokenizer Create(IReadOnlyDictionary<string, int> specialTokens) => new RegexPreTokenizer(PunctuationOrWord(), specialTokens);

    /// <summary>
    /// BertTokenizer's normalizer (an internal class, built here by a BertTokenizer over just the special tokens)
    /// behind Hugging Face's clean_text rule that it lacks: remove every "other" character (Unicode C*: soft hyphen,
    /// zero-width space, byte order mark, private use, unassigned), not only controls. Whitespace controls
    /// (\t \n \r) must already be spaces.
    /// </summary>
    public static Normalizer CleaningNormalizer(BertOptions flags)
    {
        var specials = string.Join('\n', flags.UnknownToken, flags.SeparatorToken, flags.PaddingToken, flags.ClassificationToken, flags.MaskingToken);
        using var vocab = new MemoryStream(Encoding.UTF8.GetBytes(specials));
        var bert = BertTokenizer.Create(vocab, new BertOptions
        {
            LowerCaseBeforeTokenization = flags.LowerCaseBeforeTokenization,
            RemoveNonSpacingMarks = flags.RemoveNonSpacingMarks,
            IndividuallyTokenizeCjk = flags.IndividuallyTokenizeCjk,
            ApplyBasicTokenization = true,
        });
        return new RemoveOtherThen(bert.Normalizer!, decomposeResult: flags.RemoveNonSpacingMarks);
    }

    /// <param name="decomposeResult">
    /// Hugging Face strips accents by NFD and leaves the text decomposed; BertTokenizer's normalizer composes it
    /// again (NFC), which turns Hangul jamo back into syllables that the uncased vocab lacks ([UNK]). With the marks
    /// gone, NFD of its result is Hugging Face's text.
    /// </param>
    sealed class RemoveOtherThen(Normalizer next, bool decomposeResult) : Normalizer
    {
        public override string Normalize(string original)
        {
            var normalized = next.Normalize(RemoveOther(original));
            return decomposeResult ? normalized.Normalize(NormalizationForm.FormD) : normalized;
        }

        public override string Normalize(ReadOnlySpan<char> original) => Normalize(original.ToString());

        static string RemoveOther(string s)
        {
            StringBuilder? kept = null;
            for (int i = 0; i < s.Length; i++)
            {
                int width = char.IsSurrogatePair(s, i) ? 2 : 1;
                if (CharUnicodeInfo.GetUnicodeCategory(s, i) is UnicodeCategory.Format or UnicodeCategory.PrivateUse
                    or UnicodeCategory.OtherNotAssigned or UnicodeCategory.Surrogate)
                    kept ??= new StringBuilder(s, 0, i, s.Length);
                else
                    kept?.Append(s, i, width);
                i += width - 1;
            }
            return kept?.ToString() ?? s;
        }
    }
}
