namespace CourseKit.Tasks.TokenClassification;

/// <summary>How one tag per word is read from a token classifier's per-word label scores.</summary>
public enum TagDecoding
{
    /// <summary>Each word's highest-scoring label on its own (the article's setup; it can produce I-X after O or
    /// after B-Y, which conlleval then counts as the start of a new entity).</summary>
    Argmax,

    /// <summary>The highest-scoring label sequence whose IOB2 transitions are valid (I-X only after B-X or I-X), found
    /// by Viterbi over the words' log-probabilities: a CRF's decoding with hard, fixed transitions and no training.</summary>
    Iob2Constrained,
}
