using CourseKit.Cli;

namespace CourseKit.Tests.Cli;

[Collection("Notebooks")] // redirects Console.Out, like the runner tests
[KeepTensorsAlive]
public class ConsoleReportSinkTests
{
    [Fact]
    public void Progress_prints_the_first_and_the_last_report_when_redirected()
    {
        var previous = Console.Out;
        var output = new StringWriter();
        Console.SetOut(output);
        try
        {
            using (var progress = new ConsoleReportSink().StartProgress("fetch", 3))
            {
                progress.Report(1, "a");
                progress.Report(2, "b"); // within the print interval: skipped
                progress.Report(3, "c");
            }
        }
        finally { Console.SetOut(previous); }
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(new[] { "fetch: 1/3 a", "fetch: 3/3 c" }, lines);
    }
}
