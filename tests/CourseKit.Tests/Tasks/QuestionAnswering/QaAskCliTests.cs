using System.CommandLine;
using CourseKit.Cli.Verbs;

namespace CourseKit.Tests.Tasks.QuestionAnswering;

[KeepTensorsAlive]
public class QaAskCliTests : IDisposable
{
    readonly string _dir = TestPaths.NewTempDir("coursekit-qa-docs");
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    void WriteThreeFiles()
    {
        File.WriteAllText(Path.Combine(_dir, "bakery.txt"),
            "Our bakery opens at seven in the morning.\n\nWe bake sourdough bread every day. Croissants are sold out by noon.");
        File.WriteAllText(Path.Combine(_dir, "rockets.txt"),
            "The rocket engine burns liquid oxygen and kerosene.\n\nThe second stage was tested in the desert in March.");
        File.WriteAllText(Path.Combine(_dir, "garden.txt"),
            "Tomatoes need full sun and regular watering.\n\nThe garden club meets on Thursdays in the library.");
    }

    (int Code, string Output, string Error) Ask(params string[] extra)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = QaVerb.Create().Parse(["ask", "--question", "What fuel does the rocket engine burn?", "--docs", _dir, .. extra])
            .Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("arctic-xs")]           // a retrieval encoder with a query prompt, imported on first use
    public void Ask_answers_from_the_right_file_of_three_and_names_it(string? retriever)
    {
        _ = QaTestSupport.MiniLmFolder;   // imported once, where the verb looks for it
        WriteThreeFiles();
        var (code, text, error) = retriever is null ? Ask() : Ask("--retriever", retriever);
        Assert.True(code == 0, error);
        Assert.Contains("answer: The rocket engine burns liquid oxygen and kerosene.", text);
        Assert.Contains($"source: {Path.Combine(_dir, "rockets.txt")}", text);
        Assert.Contains("score:", text);
    }

    [Fact]
    public void An_unknown_retriever_is_refused_naming_it_and_the_known_ones()
    {
        WriteThreeFiles();
        var (code, _, error) = Ask("--retriever", "no-such-encoder");
        Assert.Equal(1, code);
        Assert.Contains("--retriever no-such-encoder", error);
        Assert.Contains("arctic-xs", error);
    }

    [Fact]
    public void Ask_without_documents_fails_naming_the_path()
    {
        var error = new StringWriter();
        var missing = Path.Combine(_dir, "nowhere");
        var code = QaVerb.Create().Parse(["ask", "--question", "Why?", "--docs", missing])
            .Invoke(new InvocationConfiguration { Output = new StringWriter(), Error = error });
        Assert.Equal(1, code);
        Assert.Contains(missing, error.ToString());
    }
}
