using CourseKit.Cli.Verbs;

namespace CourseKit.Tests.Tasks.Distillation;

[KeepTensorsAlive]
public class DistillVerbTests
{
    static (int Code, string Error) Invoke(params string[] args)
    {
        var error = new StringWriter();
        var saved = Console.Error;
        Console.SetError(error);
        try { return (DistillVerb.Create().Parse(args).Invoke(), error.ToString()); }
        finally { Console.SetError(saved); }
    }

    [Theory]
    [InlineData("--student", "5L", "unknown student '5L'")]
    [InlineData("--loss", "soft,logits", "unknown distillation loss 'logits'")]
    [InlineData("--alpha", "1.5", "alpha must be in [0, 1]")]
    public void Bad_arguments_fail_with_one_line_before_any_training(string option, string value, string expected)
    {
        var (code, error) = Invoke(option, value, "--out", Path.Combine(Path.GetTempPath(), $"coursekit-distill-{Guid.NewGuid():N}"));
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", error);
        Assert.Contains(expected, error);
    }
}
