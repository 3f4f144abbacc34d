using System.CommandLine;
using CourseKit.Checkpoints;
using CourseKit.Cli.Verbs;
using CourseKit.Data;
using CourseKit.Models;
using CourseKit.Tasks.SequenceClassification;
using CourseKit.Training;

namespace CourseKit.Tests.Cli;

/// <summary>Every verb turns what the user can fix into one 'error:' line and exit code 1, by one rule
/// (<see cref="VerbActions.IsUserError"/>); a bug keeps its stack trace.</summary>
[KeepTensorsAlive]
public class VerbErrorTests
{
    public static TheoryData<Exception> UserErrors => new()
    {
        new DatasetMissingException("sst2-glue", ["train.tsv"], "/data"),
        new ModelFolderMissingException("no model in /m"),
        new FileNotFoundException("x.json"),
        new SquadFormatException("x.json", "q1", "answer text not at answer_start"),
        new InvalidDataException("bad"),
        new ArgumentException("--k must be positive"),
        new TrainingDivergedException(41, double.NaN, "/run/checkpoints/step-40"),
        new StateDictShapeException("bert.pooler.dense.weight", [2, 2], [3, 3]),
        new SafeTensorsFormatException("model.safetensors", null, "header length 9 exceeds the file"),
        new HttpRequestException("Name or service not known"),
    };

    [Theory]
    [MemberData(nameof(UserErrors))]
    public void What_the_user_can_fix_is_a_user_error(Exception ex) => Assert.True(VerbActions.IsUserError(ex), ex.GetType().Name);

    [Fact]
    public void A_bug_is_not()
    {
        Assert.False(VerbActions.IsUserError(new NullReferenceException()));
        Assert.False(VerbActions.IsUserError(new InvalidOperationException("state")));
    }

    [Fact]
    public void Pretrain_into_a_path_that_is_a_file_prints_one_error_line_naming_it()
    {
        var dir = TestPaths.NewTempDir("coursekit-verb-errors");
        var file = Path.Combine(dir, "not-a-folder");
        File.WriteAllText(file, "x");
        var (output, error) = (new StringWriter(), new StringWriter());
        int code = PretrainVerb.Create().Parse(["bert", "--profile", "quick", "--out", file])
            .Invoke(new InvocationConfiguration { Output = output, Error = error });
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", error.ToString());
        Assert.Contains("not-a-folder", error.ToString());
        Assert.DoesNotContain("   at ", error.ToString());
    }
}
