using System.Text.RegularExpressions;
using CourseKit.Models;
using CourseKit.Text;
using static TorchSharp.torch;

namespace CourseKit.Tasks.QuestionAnswering;

/// <summary>A passage of a user's document: its text and the file it came from.</summary>
public sealed record DocumentPassage(string Source, string Text);

/// <summary>An answer over documents: the text, its score, and the passage and file it was read from.</summary>
public sealed record DocumentAnswer(string Text, double Score, DocumentPassage Passage, string Method);

/// <summary>
/// Ask questions of one's own text files: passages (paragraphs split at blank lines) are ranked by the sentence
/// encoder, the top ones are read with a trained reader (best span over all their windows) or, without a reader,
/// answered with the most similar sentence (the zero-training baseline).
/// </summary>
public static partial class DocumentQa
{
    [GeneratedRegex(@"\r?\n\s*\r?\n")]
    private static partial Regex BlankLine();

    /// <summary>The passages of a text file, or of every *.txt / *.md file under a folder (sorted by path).</summary>
    public static IReadOnlyList<DocumentPassage> ReadPassages(string fileOrFolder)
    {
        var files = Directory.Exists(fileOrFolder)
            ? Directory.EnumerateFiles(fileOrFolder, "*", SearchOption.AllDirectories).Where(f => f.EndsWith(".txt", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".md", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal).ToArray()
            : File.Exists(fileOrFolder) ? [fileOrFolder]
            : throw new FileNotFoundException($"no such file or folder: {fileOrFolder}", fileOrFolder);
        var passages = files.SelectMany(f => BlankLine().Split(File.ReadAllText(f)).Select(p => p.Trim()).Where(p => p.Length > 0)
            .Select(p => new DocumentPassage(f, p))).ToArray();
        if (passages.Length == 0) throw new InvalidDataException($"{fileOrFolder}: no text (.txt or .md) to answer from");
        return passages;
    }

    /// <summary>The best answer to <paramref name="question"/> over <paramref name="passages"/>, reading the top <paramref name="topK"/> retrieved.</summary>
    public static DocumentAnswer Ask(string question, IReadOnlyList<DocumentPassage> passages, SentenceEncoder encoder,
        BertForQuestionAnswering? reader = null, BertTextTokenizer? readerTokenizer = null, QuestionAnsweringOptions? options = null, int topK = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(topK, 1);
        options ??= new QuestionAnsweringOptions();
        using var scope = NewDisposeScope();
        var passageVectors = encoder.Encode(passages.Select(p => p.Text).ToArray());
        var queryVector = encoder.EncodeQueries([question]);
        var top = SentenceEncoder.TopK(queryVector[0], passageVectors, topK);
        if (reader is null || readerTokenizer is null)
        {
            var best = top.Select(t => BestSentence(encoder, question, queryVector[0], passages[t.Index])).MaxBy(a => a.Score)!;
            return best;
        }
        var features = top.SelectMany(t => QaFeatures.ForText(readerTokenizer, t.Index.ToString(), question, passages[t.Index].Text, options.MaxLength, options.Stride)).ToArray();
        var logits = QuestionAnsweringTask.Logits(reader, readerTokenizer, features, options.EvalBatchSize, options.Device);
        var answers = QaSpans.BestPerQuestion(features, logits, options.NBest, options.MaxAnswerLength);
        var winner = answers.Values.MaxBy(a => a.Score)!;
        return new DocumentAnswer(winner.Text, winner.Score, passages[int.Parse(winner.QuestionId)], "reader");
    }

    static DocumentAnswer BestSentence(SentenceEncoder encoder, string question, Tensor queryVector, DocumentPassage passage)
    {
        var sentences = SentenceBaseline.Sentences(passage.Text);
        using var vectors = encoder.Encode(sentences);
        var best = SentenceEncoder.TopK(queryVector, vectors, 1)[0];
        return new DocumentAnswer(sentences[best.Index], best.Score, passage, "most similar sentence");
    }
}
