using CourseKit.Notebooks.Apps;

namespace CourseKit.Tests.Notebooks.Apps;

[Collection("Notebooks")] // redirects Console.Out, like the runner tests
[KeepTensorsAlive]
public class ChapterAppDisplayTests
{
    [Fact]
    public void Display_prints_the_value_and_each_update_prints_the_new_value_on_one_line()
    {
        var previous = Console.Out;
        var output = new StringWriter();
        Console.SetOut(output);
        try
        {
            var handle = ChapterApp.display("epoch 1/3 · loss 2.31");
            handle.Update("epoch 2/3 · loss 1.87");
            handle.Update("epoch 3/3 · loss 1.42");
        }
        finally { Console.SetOut(previous); }
        var lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(new[] { "epoch 1/3 · loss 2.31", "epoch 2/3 · loss 1.87", "epoch 3/3 · loss 1.42" }, lines);
    }
}
