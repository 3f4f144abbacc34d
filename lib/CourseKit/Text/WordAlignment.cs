using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Text;

/// <summary>
/// Word-level labels (NER tags) ↔ WordPiece tokens for token classification.
/// <list type="bullet">
/// <item>Labels go on the first piece of each word; the other pieces, [CLS], [SEP] and padding get -100 (or, with
/// <see cref="SubwordLabeling.AllSubwords"/>, continuation pieces get the word's continuation label).</item>
/// <item>A sentence longer than <see cref="WordAlignmentOptions.MaxLength"/> is split into windows of whole words that
/// overlap by up to <see cref="WordAlignmentOptions.Stride"/> tokens, so every word appears whole in at least one
/// window. Training uses every window with all its labels.</item>
/// <item>Each word's prediction is read from the window where it has the most context — BERT's SQuAD rule
/// (<c>_check_is_max_context</c>): score = min(tokens left of the word, tokens right of it, both within the window)
/// + 0.01 × window tokens; the highest score wins, the earlier window on ties — and from the word's first piece.</item>
/// <item>A word that yields no token at all (only characters BERT drops) cannot be predicted: it gets the fallback label.</item>
/// </list>
/// </summary>
public static class WordAlignment
{
    /// <summary>The windows of one sentence (one window when it fits). <paramref name="wordLabels"/>: one label id
    /// per word, or null for inference.</summary>
    public static IReadOnlyList<WordWindow> Align(BertTextTokenizer tokenizer, IReadOnlyList<string> words,
        IReadOnlyList<int>? wordLabels = null, WordAlignmentOptions? options = null, int sentenceIndex = 0)
    {
        options ??= WordAlignmentOptions.Default;
        if (wordLabels is not null && wordLabels.Count != words.Count)
            throw new ArgumentException($"sentence {sentenceIndex}: {words.Count} words but {wordLabels.Count} labels.", nameof(wordLabels));
        int budget = options.MaxLength - 2;
        if (budget < 1) throw new ArgumentOutOfRangeException(nameof(options), options.MaxLength, "MaxLength must leave room for [CLS], [SEP] and a token.");
        if (options.Stride < 0 || options.Stride >= budget)
            throw new ArgumentOutOfRangeException(nameof(options), options.Stride, $"Stride must be in [0, {budget}) (MaxLength - 2).");

        // Tokens per word; the start token of each word in the sentence's token sequence.
        var whole = tokenizer.EncodeWords(words, new EncodeOptions { AddSpecialTokens = false, Truncation = false });
        var pieces = new int[words.Count];
        foreach (var w in whole.WordIds) pieces[w!.Value]++;
        var start = new int[words.Count + 1];
        for (int i = 0; i < words.Count; i++)
        {
            if (pieces[i] > budget)
                throw new ArgumentException($"sentence {sentenceIndex}, word {i} '{words[i]}' has {pieces[i]} tokens: more than fit in a window of MaxLength {options.MaxLength}.", nameof(words));
            start[i + 1] = start[i] + pieces[i];
        }

        var spans = new List<(int First, int End)>();
        for (int first = 0; ;)
        {
            int end = first;
            while (end < words.Count && start[end + 1] - start[first] <= budget) end++;
            spans.Add((first, end));
            if (end >= words.Count) break;
            // The overlap: the longest run of whole words ending this window within Stride tokens that still leaves the
            // next window room for word `end` (else it would add no new word and the same words repeat window after window).
            int next = end;
            while (next - 1 > first && start[end] - start[next - 1] <= options.Stride && start[end + 1] - start[next - 1] <= budget) next--;
            first = next;
        }

        var owner = MaxContextOwners(spans, start, words.Count);
        var windows = new List<WordWindow>(spans.Count);
        for (int k = 0; k < spans.Count; k++)
        {
            var (first, end) = spans[k];
            var encodeOptions = new EncodeOptions
            {
                MaxLength = options.MaxLength,
                Truncation = false,
                Padding = options.PadToMaxLength ? PaddingStrategy.MaxLength : PaddingStrategy.None,
            };
            var encoding = tokenizer.EncodeWords(Slice(words, first, end), encodeOptions);
            var sentenceWordIds = encoding.WordIds.Select(w => w is int local ? first + local : (int?)null).ToArray();
            if (sentenceWordIds.Count(w => w is not null) != start[end] - start[first])
                throw new InvalidOperationException($"sentence {sentenceIndex}: words {first}..{end - 1} tokenize differently alone than in the sentence.");
            var labels = wordLabels is null ? null : TokenLabels(sentenceWordIds, wordLabels, options);
            var scored = Enumerable.Range(first, end - first).Where(i => owner[i] == k).ToArray();
            windows.Add(new WordWindow(encoding, labels, sentenceWordIds, sentenceIndex, first, end - first, words.Count, scored));
        }
        return windows;
    }

    /// <summary>The windows of many sentences, in order (<see cref="WordWindow.SentenceIndex"/> says whose).</summary>
    public static IReadOnlyList<WordWindow> AlignAll(BertTextTokenizer tokenizer, IReadOnlyList<IReadOnlyList<string>> sentences,
        IReadOnlyList<IReadOnlyList<int>>? labels = null, WordAlignmentOptions? options = null)
    {
        if (labels is not null && labels.Count != sentences.Count)
            throw new ArgumentException($"{sentences.Count} sentences but {labels.Count} label lists.", nameof(labels));
        return sentences.SelectMany((words, i) => Align(tokenizer, words, labels?[i], options, i)).ToArray();
    }

    /// <summary>One label per token of a window: the word's label on its first piece; continuation pieces get the
    /// ignore index (or the continuation label with <see cref="SubwordLabeling.AllSubwords"/>); special/padding tokens the ignore index.</summary>
    public static int[] TokenLabels(IReadOnlyList<int?> sentenceWordIds, IReadOnlyList<int> wordLabels, WordAlignmentOptions? options = null)
    {
        options ??= WordAlignmentOptions.Default;
        var labels = new int[sentenceWordIds.Count];
        int? previous = null;
        for (int t = 0; t < labels.Length; t++)
        {
            var w = sentenceWordIds[t];
            if (w is not int word) labels[t] = options.IgnoreIndex;
            else if (word != previous) labels[t] = wordLabels[word];
            else labels[t] = options.Labeling == SubwordLabeling.AllSubwords
                ? options.ContinuationLabel?.Invoke(wordLabels[word]) ?? wordLabels[word]
                : options.IgnoreIndex;
            previous = w;
        }
        return labels;
    }

    /// <summary>
    /// Exactly one predicted label per original word, per sentence: <paramref name="tokenPredictions"/>[k][t] is the
    /// predicted label id of token t of window k. Each word's label is read at its first piece in the window that
    /// scores it; words with no token get <paramref name="fallback"/>.
    /// </summary>
    public static int[][] WordPredictions(IReadOnlyList<WordWindow> windows, IReadOnlyList<IReadOnlyList<int>> tokenPredictions, int fallback = 0)
    {
        if (tokenPredictions.Count != windows.Count)
            throw new ArgumentException($"{windows.Count} windows but predictions for {tokenPredictions.Count}.", nameof(tokenPredictions));
        int sentences = windows.Count == 0 ? 0 : windows.Max(w => w.SentenceIndex) + 1;
        var result = new int[sentences][];
        for (int k = 0; k < windows.Count; k++)
        {
            var window = windows[k];
            var predictions = tokenPredictions[k];
            if (predictions.Count < window.Length)
                throw new ArgumentException($"window {k} has {window.Length} tokens but {predictions.Count} predictions.", nameof(tokenPredictions));
            var words = result[window.SentenceIndex] ??= Enumerable.Repeat(fallback, window.SentenceWordCount).ToArray();
            var scored = new HashSet<int>(window.ScoredWords);
            int? previous = null;
            for (int t = 0; t < window.Length; t++)
            {
                var w = window.SentenceWordIds[t];
                if (w is int word && word != previous && scored.Contains(word)) words[word] = predictions[t];
                previous = w;
            }
        }
        for (int s = 0; s < sentences; s++) result[s] ??= [];
        return result;
    }

    /// <summary>As <see cref="WordPredictions(IReadOnlyList{WordWindow}, IReadOnlyList{IReadOnlyList{int}}, int)"/>
    /// from logits [windows, sequence, labels] (argmax over labels); the sequence may be padded beyond each window.</summary>
    public static int[][] WordPredictions(IReadOnlyList<WordWindow> windows, Tensor logits, int fallback = 0)
    {
        if (logits.dim() != 3 || logits.shape[0] != windows.Count)
            throw new ArgumentException($"logits must be [windows={windows.Count}, sequence, labels], got [{string.Join(", ", logits.shape)}].", nameof(logits));
        using var scope = NewDisposeScope();
        var ids = logits.argmax(-1).to(ScalarType.Int32).cpu().data<int>().ToArray();
        int length = (int)logits.shape[1];
        var perWindow = Enumerable.Range(0, windows.Count).Select(k => (IReadOnlyList<int>)new ArraySegment<int>(ids, k * length, length)).ToArray();
        return WordPredictions(windows, perWindow, fallback);
    }

    /// <summary>The windows' labels as an int64 tensor [windows, length] padded with the ignore index
    /// (length: the longest window by default), to go with <c>TokenizedBatch.Pad(windows' encodings)</c>.</summary>
    public static Tensor LabelTensor(IReadOnlyList<WordWindow> windows, int? length = null, int ignoreIndex = -100, Device? device = null)
    {
        int n = length ?? (windows.Count == 0 ? 0 : windows.Max(w => w.Length));
        var data = new long[windows.Count * n];
        Array.Fill(data, ignoreIndex);
        for (int k = 0; k < windows.Count; k++)
        {
            var labels = windows[k].Labels ?? throw new ArgumentException($"window {k} has no labels (aligned for inference).", nameof(windows));
            if (labels.Count > n) throw new ArgumentException($"window {k} has {labels.Count} tokens, more than length {n}.", nameof(length));
            for (int t = 0; t < labels.Count; t++) data[k * n + t] = labels[t];
        }
        return tensor(data, [windows.Count, n], device: device);
    }

    /// <summary>For each word, the window that scores it (BERT's max-context rule, measured in tokens).</summary>
    static int[] MaxContextOwners(List<(int First, int End)> spans, int[] start, int wordCount)
    {
        var owner = new int[wordCount];
        var best = new double[wordCount];
        Array.Fill(best, double.NegativeInfinity);
        for (int k = 0; k < spans.Count; k++)
        {
            var (first, end) = spans[k];
            int windowTokens = start[end] - start[first];
            for (int i = first; i < end; i++)
            {
                int left = start[i] - start[first], right = start[end] - start[i + 1];
                double score = Math.Min(left, right) + 0.01 * windowTokens;
                if (score > best[i]) { best[i] = score; owner[i] = k; }
            }
        }
        return owner;
    }

    static string[] Slice(IReadOnlyList<string> words, int first, int end)
    {
        var slice = new string[end - first];
        for (int i = first; i < end; i++) slice[i - first] = words[i];
        return slice;
    }
}
