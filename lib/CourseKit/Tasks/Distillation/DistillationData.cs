using CourseKit.Data;
using CourseKit.Models;
using CourseKit.Tasks.SequenceClassification;
using CourseKit.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tasks.Distillation;

/// <summary>A training sentence for a student: its ids in the student's vocabulary with a label (the gold one, or the
/// teacher's answer for a transfer sentence), its ids in the teacher's vocabulary, and the teacher's logits.</summary>
public sealed record DistillExample(EncodedExample Student, int[] TeacherIds, float[] TeacherLogits, bool Gold);

/// <summary>
/// The data of a distillation run: the labelled split of the fine-tuning task and the transfer set, in-domain sentences
/// without labels that the teacher labels (DistilBERT and TinyBERT train on far more text than the labelled set; the
/// teacher's answers on it are what the student imitates).
/// </summary>
public static class DistillationData
{
    /// <summary>Up to <paramref name="count"/> in-domain sentences that are in none of <paramref name="data"/>'s parts
    /// (SST-2: GLUE train; PhraseBank: the 50Agree file, a superset of AllAgree), in an order drawn from the seed.</summary>
    public static IReadOnlyList<string> TransferSentences(FineTuneTask task, ClassificationData data, int count, int seed, DataRegistry? registry = null)
    {
        if (count == 0) return [];
        var used = new HashSet<string>(data.Train.Concat(data.Validation).Concat(data.Test).Select(e => e.Text), StringComparer.Ordinal);
        IEnumerable<string> pool = task switch
        {
            FineTuneTask.Sst2 => Sst2.Load("train", registry).Select(e => e.Sentence),
            FineTuneTask.PhraseBank => FinancialPhraseBank.Load(PhraseBankAgreement.AtLeast50, registry).Select(e => e.Sentence),
            _ => throw new ArgumentException($"no unlabelled in-domain text is known for task {task}; use a transfer size of 0"),
        };
        var candidates = pool.Where(s => !used.Contains(s)).Distinct(StringComparer.Ordinal).ToArray();
        new Random(seed).Shuffle(candidates);
        return candidates.Take(count).ToArray();
    }

    /// <summary>The teacher's logits [C] per sentence, in eval mode without gradients; batches of similar length so
    /// little padding is computed.</summary>
    public static float[][] TeacherLogits(BertForSequenceClassification teacher, IReadOnlyList<int[]> ids, int padId, int batchSize = 64)
    {
        bool wasTraining = teacher.training;
        teacher.eval();
        try
        {
            using var noGrad = no_grad();
            return LengthBatches.Map(ids, row => row.Length, batchSize, batch =>
            {
                var (input, mask, types, _) = SequenceClassificationBatches.Collate(batch.Select(row => new EncodedExample(row, 0)).ToArray(), padId);
                var logits = teacher.forward(input, mask, types, null).Logits.to_type(ScalarType.Float32).cpu();
                return LengthBatches.Rows(logits.data<float>().ToArray(), batch.Count, (int)logits.shape[1]);
            });
        }
        finally { if (wasTraining) teacher.train(); }
    }

    /// <summary>The labelled sentences (gold labels) followed by the transfer sentences (the teacher's argmax as their
    /// label), each with the teacher's logits. <paramref name="teacherLogitsByText"/>, when given, keeps the teacher's
    /// logits of every sentence it has read, so that the students of one experiment (same teacher, same maximum
    /// length) do not run the teacher over the same sentences again.</summary>
    public static DistillExample[] Build(BertForSequenceClassification teacher, BertTextTokenizer teacherTokenizer, BertTextTokenizer studentTokenizer,
        IReadOnlyList<LabeledText> labelled, IReadOnlyList<string> transfer, int maxLength, Dictionary<string, float[]>? teacherLogitsByText = null)
    {
        var texts = labelled.Select(e => e.Text).Concat(transfer).ToArray();
        var options = new EncodeOptions { MaxLength = maxLength, Truncation = true };
        var teacherIds = texts.Select(t => teacherTokenizer.Encode(t, options).InputIds.ToArray()).ToArray();
        var studentIds = ReferenceEquals(teacherTokenizer, studentTokenizer)
            ? teacherIds
            : texts.Select(t => studentTokenizer.Encode(t, options).InputIds.ToArray()).ToArray();
        var logits = CachedTeacherLogits(teacher, texts, teacherIds, teacherTokenizer.PadId, teacherLogitsByText ?? new(StringComparer.Ordinal));
        return texts.Select((_, i) =>
        {
            bool gold = i < labelled.Count;
            int label = gold ? labelled[i].Label : SequenceClassificationBatches.ArgMax(logits[i]);
            return new DistillExample(new EncodedExample(studentIds[i], label), teacherIds[i], logits[i], gold);
        }).ToArray();
    }

    /// <summary>The teacher's logits of <paramref name="texts"/>: those in <paramref name="cache"/> from there, the
    /// others computed (in one pass) and added to it.</summary>
    static float[][] CachedTeacherLogits(BertForSequenceClassification teacher, string[] texts, int[][] teacherIds, int padId, Dictionary<string, float[]> cache)
    {
        var missing = Enumerable.Range(0, texts.Length).Where(i => !cache.ContainsKey(texts[i])).DistinctBy(i => texts[i]).ToArray();
        var computed = TeacherLogits(teacher, missing.Select(i => teacherIds[i]).ToArray(), padId);
        for (int k = 0; k < missing.Length; k++) cache[texts[missing[k]]] = computed[k];
        return texts.Select(t => cache[t]).ToArray();
    }

    /// <summary>Share of <paramref name="examples"/> whose gold label the teacher's logits agree with.</summary>
    public static double TeacherAgreement(IEnumerable<DistillExample> examples)
    {
        var gold = examples.Where(e => e.Gold).ToArray();
        return gold.Length == 0 ? double.NaN : gold.Count(e => SequenceClassificationBatches.ArgMax(e.TeacherLogits) == e.Student.Label) / (double)gold.Length;
    }
}
