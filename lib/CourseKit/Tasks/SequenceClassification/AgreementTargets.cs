using CourseKit.Data;

namespace CourseKit.Tasks.SequenceClassification;

/// <summary>
/// Soft training targets for Financial PhraseBank from its annotator agreement. Each sentence was labelled by 5–8
/// annotators; the four files tell how many agreed: all of them, at least 75 %, 66 % or 50 %. A one-hot target asks the
/// model to be as sure of a 3-to-2 sentence as of a unanimous one, and it duly is: in the full profile the fine-tuned
/// MiniLM's confidence barely moves across agreement levels (0.94–0.99) while its accuracy falls from 0.97 to 0.54,
/// which no single temperature can undo. Here the majority label gets the typical share of annotators in the
/// sentence's band (5 annotators: 3/5, 4/5; 8: 5/8, 6/8, 7/8 …): 1.0 for unanimous, 0.82 for 75–99 %, 0.69 for
/// 66–74 %, 0.60 for 50–65 %. The rest goes to neutral when the majority is polar (annotators split between "positive"
/// and "neutral", rarely between the two polarities) and half to each polarity when the majority is neutral.
/// </summary>
public static class AgreementTargets
{
    public static double MajorityShare(PhraseBankAgreement highest) => highest switch
    {
        PhraseBankAgreement.All => 1.0, PhraseBankAgreement.AtLeast75 => 0.82,
        PhraseBankAgreement.AtLeast66 => 0.69, PhraseBankAgreement.AtLeast50 => 0.60,
        _ => throw new ArgumentOutOfRangeException(nameof(highest)),
    };

    /// <summary>[negative, neutral, positive] for a sentence whose majority label is <paramref name="label"/>.</summary>
    public static float[] Target(int label, PhraseBankAgreement highest)
    {
        const int neutral = (int)FinancialSentiment.Neutral;
        double share = MajorityShare(highest), rest = 1 - share;
        var target = new float[3];
        target[label] = (float)share;
        if (label == neutral)
        {
            target[(int)FinancialSentiment.Negative] = (float)(rest / 2);
            target[(int)FinancialSentiment.Positive] = (float)(rest / 2);
        }
        else target[neutral] = (float)rest;
        return target;
    }

    /// <summary>The training part with soft targets; validation and test keep their majority labels (what is scored).</summary>
    public static ClassificationData Apply(ClassificationData data, DataRegistry? registry)
    {
        var highest = FinancialPhraseBank.HighestAgreement(registry);
        var train = data.Train.Select(e => e with
        {
            Target = Target(e.Label, highest.TryGetValue(e.Text, out var level)
                ? level
                : throw new InvalidDataException($"{data.Name}: training sentence {e.Id} is in no agreement file: \"{e.Text}\"")),
        }).ToArray();
        return data with { Train = train, Note = (data.Note is null ? "" : data.Note + " ") + "Training targets softened by annotator agreement." };
    }
}
