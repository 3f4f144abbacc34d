using CourseKit.Data;
using CourseKit.Tasks.QuestionAnswering;

namespace CourseKit.Tests.Tasks.QuestionAnswering;

/// <summary>Questions made from unlabelled text: the answer recurs, the question sentence leaves the context, every
/// answer offset is real, and WikiText's tokenisation is undone.</summary>
[KeepTensorsAlive]
public sealed class ClozeQuestionsTests
{
    const string Curie = "Marie Curie was born in Warsaw in 1867. She moved to Paris in 1891 with 12 trunks. In Paris, Curie studied physics. "
                         + "Warsaw was then part of the Russian Empire. She took 12 degrees, and in 1891 she met Pierre.";

    [Fact]
    public void A_recurring_name_or_number_is_asked_from_one_sentence_and_found_in_the_others()
    {
        var questions = ClozeQuestions.FromParagraph(Curie, new Random(1)).ToArray();
        Assert.Equal(["12", "1891", "Curie", "Paris", "Warsaw"], questions.Select(q => q.Answers[0].Text).Order(StringComparer.Ordinal));
        foreach (var (context, question, answers) in questions)
        {
            Assert.EndsWith("?", question);
            Assert.All(answers, a => Assert.Equal(a.Text, context.Substring(a.Start, a.Text.Length)));
        }
        var year = questions.Single(q => q.Answers[0].Text == "1891");
        Assert.Contains("when", year.Question);
        Assert.Contains("how many", questions.Single(q => q.Answers[0].Text == "12").Question);
        Assert.Contains("what", questions.Single(q => q.Answers[0].Text == "Warsaw").Question);
        // The question's sentence is gone from its context: the other occurrence must be found, not the same words.
        foreach (var (context, question, _) in questions)
        {
            Assert.Equal(4, context.Split(". ").Length);                     // 5 sentences, one removed
            var start = question.Split(' ')[0] + " " + question.Split(' ')[1];
            Assert.DoesNotContain(context.Split(". "), s => s.StartsWith(start, StringComparison.Ordinal) && question.Length - s.Length is > -12 and < 12);
        }
    }

    [Fact]
    public void Common_first_words_and_short_paragraphs_give_no_question()
    {
        Assert.Empty(ClozeQuestions.FromParagraph("The cat sat. The dog sat.", new Random(1)));     // two sentences only
        Assert.Empty(ClozeQuestions.FromParagraph("The cat sat. The dog ran. The bird flew away.", new Random(1)));   // "The" is not an answer
        var longSentence = "Bob met Ann " + string.Join(" ", Enumerable.Repeat("and talked", 15)) + ".";   // 33 words
        var asked = ClozeQuestions.FromParagraph($"{longSentence} Ann left. Bob stayed.", new Random(1)).Select(q => q.Question).ToArray();
        Assert.Equal(2, asked.Length);                                       // Ann and Bob, each asked from a short sentence only
        Assert.All(asked, q => Assert.True(q.Split(' ').Length <= ClozeQuestions.MaxQuestionWords, q));
    }

    [Fact]
    public void A_generated_set_is_seeded_capped_and_passes_the_squad_reader()
    {
        var articles = new[] { ("Curie", (IReadOnlyList<string>)[Curie, Curie.Replace("Warsaw", "Lublin")]) };
        var a = ClozeQuestions.Generate(articles, maxQuestions: 3, seed: 7);
        var b = ClozeQuestions.Generate(articles, maxQuestions: 3, seed: 7);
        Assert.Equal(3, a.Questions.Count);
        Assert.Equal(a.Questions.Select(q => q.Question), b.Questions.Select(q => q.Question));
        Assert.Equal(a.Questions.Count, a.Questions.Select(q => q.Id).Distinct().Count());
        var other = ClozeQuestions.Generate(articles, maxQuestions: 10, seed: 8, perParagraph: 5);
        Assert.Equal(10, other.Questions.Count);                             // 5 from each paragraph
        var path = Path.Combine(TestPaths.NewTempDir("coursekit-cloze"), "cloze.json");
        ClozeQuestions.Save(other, path);
        Assert.Equal(other.Questions.Select(q => (q.Question, q.Answers[0].Start)), SquadReader.Load(path).Questions.Select(q => (q.Question, q.Answers[0].Start)));
    }

    [Fact]
    public void WikiText_lines_become_articles_of_plain_paragraphs()
    {
        string[] lines =
        [
            " ", " = Homarus gammarus = ", " ",
            " Homarus gammarus is a <unk> lobster . It may grow to a length of 60 cm ( 24 in ) and 0 @.@ 7 @-@ 2 kg , the lobster 's size . ",
            " = = Description = = ", " It is blue . ", " = Second = ", " Text here . ",
        ];
        var articles = TextCorpora.WikiTextArticles(lines);
        Assert.Equal(["Homarus gammarus", "Second"], articles.Select(a => a.Title));
        Assert.Equal(
            ["Homarus gammarus is a unk lobster. It may grow to a length of 60 cm (24 in) and 0.7-2 kg, the lobster's size.", "It is blue."],
            articles[0].Paragraphs);
    }
}
