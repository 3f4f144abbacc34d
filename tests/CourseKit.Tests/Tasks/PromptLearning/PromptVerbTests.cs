using CourseKit.Cli.Verbs;

namespace CourseKit.Tests.Tasks.PromptLearning;

[KeepTensorsAlive]
public class PromptVerbTests
{
    static (int Code, string Error) Invoke(params string[] args)
    {
        var error = new StringWriter();
        var saved = Console.Error;
        Console.SetError(error);
        try { return (PromptVerb.Create().Parse(args).Invoke(), error.ToString()); }
        finally { Console.SetError(saved); }
    }

    [Fact]
    public void Few_shot_refuses_a_template_without_mask_in_one_error_line()
    {
        var (code, error) = Invoke("few-shot", "--task", "sst2", "--method", "cloze", "--template", "{sentence} It was great.", "--out", Path.GetTempPath());
        Assert.Equal(1, code);
        Assert.StartsWith("error: template \"{sentence} It was great.\" has no [MASK]", error);
    }

    [Fact]
    public void Unknown_method_and_bad_k_are_refused_before_any_work()
    {
        var (code, error) = Invoke("few-shot", "--method", "magic", "--k", "16", "--out", Path.GetTempPath());
        Assert.Equal(1, code);
        Assert.Contains("unknown few-shot method 'magic'", error);
        (code, error) = Invoke("few-shot", "--k", "0", "--out", Path.GetTempPath());
        Assert.Equal(1, code);
        Assert.Contains("--k: '0' is not a positive number", error);
    }
}
