using System.CommandLine;
using CourseKit.Cli.Verbs;
using CourseKit.Tasks.TokenClassification;

namespace CourseKit.Tests.Cli;

/// <summary>Every long-running verb takes --profile, --seed, --out and --threads (DEVELOPERS.md's CLI rule).</summary>
public class LongRunningVerbOptionsTests
{
    public static TheoryData<string> Verbs => new() { "run", "pretrain", "finetune", "bench train", "reproduce conll" };

    [Theory]
    [MemberData(nameof(Verbs))]
    public void Verb_takes_profile_seed_out_and_threads(string verb)
    {
        var command = Find(verb);
        var names = command.Options.Select(o => o.Name).ToHashSet();
        foreach (var required in new[] { "--profile", "--seed", "--out", "--threads" })
            Assert.True(names.Contains(required), $"`course {verb}` lacks {required}; it has {string.Join(", ", names.Order())}");
    }

    [Fact]
    public void Threads_must_be_a_number()
    {
        var result = Find("pretrain").Parse(["bert", "--threads", "two"]);
        Assert.NotEmpty(result.Errors);
    }

    [Fact]
    public void Reproduce_reads_tags_by_argmax_or_constrained_decoding_only()
    {
        var conll = Find("reproduce conll");
        Assert.Empty(conll.Parse(["--decoding", "constrained"]).Errors);
        Assert.Equal(TagDecoding.Argmax, conll.Parse([]).GetValue<TagDecoding>("--decoding"));
        Assert.Equal(TagDecoding.Iob2Constrained, conll.Parse(["--decoding", "constrained"]).GetValue<TagDecoding>("--decoding"));
        Assert.NotEmpty(conll.Parse(["--decoding", "viterbi"]).Errors);
    }

    static Command Find(string verb)
    {
        var words = verb.Split(' ');
        Command command = words[0] switch
        {
            "run" => RunVerb.Create(),
            "pretrain" => PretrainVerb.Create(),
            "finetune" => FineTuneVerb.Create(),
            "bench" => BenchVerb.Create(),
            "reproduce" => ReproduceVerb.Create(),
            _ => throw new ArgumentException(verb),
        };
        foreach (var word in words.Skip(1)) command = command.Subcommands.Single(c => c.Name == word);
        return command;
    }
}
