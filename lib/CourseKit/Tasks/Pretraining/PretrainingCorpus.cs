using System.Text.Json;
using System.Text.Json.Serialization;
using CourseKit.Text;
using Microsoft.Data.Analysis;
using CourseKit.Data;

namespace CourseKit.Tasks.Pretraining;

/// <summary>What to put in a pretraining corpus.</summary>
public sealed record PretrainingCorpusOptions
{
    /// <summary>Source names (see <see cref="PretrainingCorpusSources"/>); null = every source whose data is present.</summary>
    public IReadOnlyList<string>? Sources { get; init; }
    /// <summary>Packed sequence length, [CLS] and [SEP]s included.</summary>
    public int MaxLength { get; init; } = 128;
    /// <summary>The tail of every source (this fraction of its packed sequences) is held out for evaluation.</summary>
    public double HeldOutFraction { get; init; } = 0.05;
    /// <summary>Read at most this many sentences per source (0 = all): the quick profile's subset.</summary>
    public int MaxSentencesPerSource { get; init; }
    /// <summary>Sentences never to pretrain on (exact text): the validation and test sentences of the downstream tasks,
    /// so fine-tuning results are not measured on text the encoder has already read.</summary>
    public IReadOnlySet<string>? ExcludeSentences { get; init; }
    public DataRegistry? Registry { get; init; }
}

/// <summary>What one source contributed: sentences read, WordPiece tokens (no specials), packed sequences, and
/// how the sequences split into train and held-out.</summary>
public sealed record CorpusSourceStats(
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("sentences")] int Sentences,
    [property: JsonPropertyName("tokens")] long Tokens,
    [property: JsonPropertyName("sequences")] int Sequences,
    [property: JsonPropertyName("train_sequences")] int TrainSequences,
    [property: JsonPropertyName("heldout_sequences")] int HeldOutSequences,
    [property: JsonPropertyName("train_tokens")] long TrainTokens,
    [property: JsonPropertyName("heldout_tokens")] long HeldOutTokens);

/// <summary>
/// Packed [CLS] … [SEP] … [SEP] sequences of WordPiece ids from the course's unlabelled text, each source packed on its
/// own (no sequence spans two sources) and its last <see cref="PretrainingCorpusOptions.HeldOutFraction"/> of sequences
/// held out, so held-out text is contiguous and never seen in training. Deterministic: no randomness is involved.
/// </summary>
public sealed class PretrainingCorpus
{
    public required IReadOnlyList<PackedSequence> Train { get; init; }
    public required IReadOnlyList<PackedSequence> HeldOut { get; init; }
    public required IReadOnlyList<CorpusSourceStats> Sources { get; init; }
    /// <summary>Sources asked for (or known) whose data is not on this machine.</summary>
    public required IReadOnlyList<string> Skipped { get; init; }
    public required int MaxLength { get; init; }

    public long TrainTokens => Train.Sum(s => (long)s.Ids.Length);
    public long HeldOutTokens => HeldOut.Sum(s => (long)s.Ids.Length);

    /// <summary>Builds the corpus with <paramref name="tokenizer"/> (the course uses the real bert-base-cased vocab).
    /// Sources named explicitly must be present; with <see cref="PretrainingCorpusOptions.Sources"/> null, absent ones
    /// are skipped and listed in <see cref="Skipped"/>.</summary>
    public static PretrainingCorpus Build(BertTextTokenizer tokenizer, PretrainingCorpusOptions? options = null)
    {
        options ??= new PretrainingCorpusOptions();
        if (options.HeldOutFraction is < 0 or >= 1) throw new ArgumentException($"HeldOutFraction must be in [0, 1), got {options.HeldOutFraction}");
        var registry = options.Registry ?? DataRegistry.Default;
        var wordStart = WordStartTable(tokenizer);
        var train = new List<PackedSequence>();
        var heldOut = new List<PackedSequence>();
        var stats = new List<CorpusSourceStats>();
        var skipped = new List<string>();

        var sources = options.Sources?.Select(PretrainingCorpusSources.Get) ?? PretrainingCorpusSources.All;
        foreach (var source in sources)
        {
            if (options.Sources is null && !registry.IsAvailable(source.Dataset)) { skipped.Add(source.Name); continue; }
            var sentences = source.ReadSentences(registry);
            if (options.ExcludeSentences is { Count: > 0 } exclude) sentences = sentences.Where(text => !exclude.Contains(text));
            if (options.MaxSentencesPerSource > 0) sentences = sentences.Take(options.MaxSentencesPerSource);
            int sentenceCount = 0;
            long tokenCount = 0;
            var tokenized = sentences.Select(text =>
            {
                var ids = tokenizer.Inner.EncodeToIds(text, addSpecialTokens: false).ToArray();
                sentenceCount++;
                tokenCount += ids.Length;
                return (ids, ids.Select(id => wordStart[id]).ToArray());
            }).Where(s => s.Item1.Length > 0);
            var packed = SequencePacking.Pack(tokenized, options.MaxLength, tokenizer.ClsId, tokenizer.SepId).ToList();
            int held = (int)Math.Round(packed.Count * options.HeldOutFraction);
            if (options.HeldOutFraction > 0 && packed.Count >= 2) held = Math.Max(held, 1);
            var sourceTrain = packed.Take(packed.Count - held).ToList();
            var sourceHeld = packed.Skip(packed.Count - held).ToList();
            train.AddRange(sourceTrain);
            heldOut.AddRange(sourceHeld);
            stats.Add(new CorpusSourceStats(source.Name, sentenceCount, tokenCount, packed.Count, sourceTrain.Count, sourceHeld.Count,
                sourceTrain.Sum(s => (long)s.Ids.Length), sourceHeld.Sum(s => (long)s.Ids.Length)));
        }
        if (train.Count == 0) throw new InvalidOperationException("The pretraining corpus is empty: no source had data.");
        return new PretrainingCorpus { Train = train, HeldOut = heldOut, Sources = stats, Skipped = skipped, MaxLength = options.MaxLength };
    }

    /// <summary>Per vocabulary id: true unless the token continues a word ("##ing"), for whole-word masking.</summary>
    public static bool[] WordStartTable(BertTextTokenizer tokenizer)
    {
        var vocab = File.ReadAllLines(tokenizer.VocabPath);
        return vocab.Select(t => !t.StartsWith("##", StringComparison.Ordinal)).ToArray();
    }

    /// <summary>One row per source plus a total row: sentences, tokens, sequences, train/held-out split.</summary>
    public DataFrame ToDataFrame()
    {
        var rows = Sources.Append(new CorpusSourceStats("total", Sources.Sum(s => s.Sentences), Sources.Sum(s => s.Tokens),
            Sources.Sum(s => s.Sequences), Sources.Sum(s => s.TrainSequences), Sources.Sum(s => s.HeldOutSequences),
            Sources.Sum(s => s.TrainTokens), Sources.Sum(s => s.HeldOutTokens))).ToList();
        return new DataFrame(
            new StringDataFrameColumn("source", rows.Select(r => r.Source)),
            new Int64DataFrameColumn("sentences", rows.Select(r => (long)r.Sentences)),
            new Int64DataFrameColumn("tokens", rows.Select(r => r.Tokens)),
            new Int64DataFrameColumn("sequences", rows.Select(r => (long)r.Sequences)),
            new Int64DataFrameColumn("train seq", rows.Select(r => (long)r.TrainSequences)),
            new Int64DataFrameColumn("held-out seq", rows.Select(r => (long)r.HeldOutSequences)));
    }

    /// <summary>A plain-text table of <see cref="Sources"/> for consoles.</summary>
    public string ToTable()
    {
        var lines = new List<string> { $"{"source",-22} {"sentences",10} {"tokens",10} {"sequences",10} {"train",8} {"held-out",8}" };
        foreach (var s in Sources)
            lines.Add($"{s.Source,-22} {s.Sentences,10:N0} {s.Tokens,10:N0} {s.Sequences,10:N0} {s.TrainSequences,8:N0} {s.HeldOutSequences,8:N0}");
        lines.Add($"{"total",-22} {Sources.Sum(s => s.Sentences),10:N0} {Sources.Sum(s => s.Tokens),10:N0} {Sources.Sum(s => s.Sequences),10:N0} {Train.Count,8:N0} {HeldOut.Count,8:N0}");
        if (Skipped.Count > 0) lines.Add($"skipped (data not fetched): {string.Join(", ", Skipped)}");
        return string.Join('\n', lines);
    }

    public string ToJson() => JsonSerializer.Serialize(new
    {
        max_length = MaxLength,
        sources = Sources,
        skipped = Skipped,
        train_sequences = Train.Count,
        heldout_sequences = HeldOut.Count,
        train_tokens = TrainTokens,
        heldout_tokens = HeldOutTokens,
    }, new JsonSerializerOptions { WriteIndented = true });
}
