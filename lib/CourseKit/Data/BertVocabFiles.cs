namespace CourseKit.Data;

/// <summary>The vocabularies of the <c>bert-vocab</c> data set. The kit's own BERTs (pretrained in chapter 03, and the
/// random-init baselines) use bert-base-cased's, so a checkpoint and its tokenizer always agree.</summary>
public static class BertVocabFiles
{
    public const string Dataset = "bert-vocab";
    public const string CasedFile = "bert-base-cased-vocab.txt";

    /// <summary>The path of bert-base-cased's vocab.txt (fetched into the cache when it is not there yet).</summary>
    public static string Cased(DataRegistry? registry = null) => (registry ?? DataRegistry.Default).Require(Dataset).File(CasedFile);
}
