using System.CommandLine;
using CourseKit.Cli.Verbs;
using CourseKit.Data;
using CourseKit.Tasks.SequenceClassification;
using CourseKit.Tasks.TokenClassification;

namespace CourseKit.Tests.Cli;

/// <summary>Every long-running verb takes --profile, --seed, --out and --threads (DEVELOPERS.md's CLI rule).</summary>
[KeepTensorsAlive]
public class LongRunningVerbOptionsTests
{
    public static TheoryData<string> Verbs => new() { "run", "pretrain", "finetune", "bench train", "bench infer", "reproduce conll" };

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

    [Fact]
    public void Every_training_verb_reads_precision_the_same_way()
    {
        foreach (var verb in new[] { "pretrain", "finetune", "reproduce conll" })
        {
            string[] Args(params string[] rest) => verb == "pretrain" ? ["bert", .. rest] : rest;
            var command = Find(verb);
            Assert.Equal(CourseKit.Training.Precision.Fp32, command.Parse(Args()).GetValue<CourseKit.Training.Precision>("--precision"));
            Assert.Equal(CourseKit.Training.Precision.Bf16, command.Parse(Args("--precision", "BF16")).GetValue<CourseKit.Training.Precision>("--precision"));
            var refused = command.Parse(Args("--precision", "fp16"));
            Assert.Contains(refused.Errors, e => e.Message.Contains("fp32, bf16") && e.Message.Contains("'fp16'"));
        }
    }

    [Theory]
    [InlineData("quick", Profile.Quick)]
    [InlineData("full", Profile.Full)]
    [InlineData("FULL", Profile.Full)]
    public void Profile_binds_to_the_library_type(string word, Profile expected)
    {
        foreach (var verb in new[] { "pretrain", "finetune", "bench train", "reproduce conll" })
        {
            var args = verb == "pretrain" ? new[] { "bert", "--profile", word } : new[] { "--profile", word };
            var result = Find(verb).Parse(args);
            Assert.Empty(result.Errors);
            Assert.Equal(expected, result.GetValue<Profile>("--profile"));
        }
        Assert.NotEmpty(Find("finetune").Parse(["--profile", "medium"]).Errors);
    }

    [Theory]
    [InlineData("sst2", FineTuneTask.Sst2)]
    [InlineData("SST-2", FineTuneTask.Sst2)]
    [InlineData("phrasebank", FineTuneTask.PhraseBank)]
    public void Finetune_task_accepts_the_documented_spellings(string word, FineTuneTask expected)
    {
        var result = Find("finetune").Parse(["--task", word]);
        Assert.Empty(result.Errors);
        Assert.Equal(expected, result.GetValue<FineTuneTask>("--task"));
    }

    [Fact]
    public void Finetune_rejects_other_words_and_names_the_accepted_ones()
    {
        var task = Find("finetune").Parse(["--task", "custom"]);
        Assert.Contains(task.Errors, e => e.Message.Contains("sst2") && e.Message.Contains("phrasebank") && e.Message.Contains("custom"));
        Assert.NotEmpty(Find("finetune").Parse(["--agreement", "90"]).Errors);
        Assert.NotEmpty(Find("finetune").Parse(["--freeze", "everything"]).Errors);
        Assert.NotEmpty(Find("finetune").Parse(["--device", "tpu"]).Errors);
    }

    [Fact]
    public void Finetune_binds_agreement_and_freeze_to_the_library_enums()
    {
        var result = Find("finetune").Parse(["--agreement", "75", "--freeze", "Embeddings"]);
        Assert.Empty(result.Errors);
        Assert.Equal(PhraseBankAgreement.AtLeast75, result.GetValue<PhraseBankAgreement>("--agreement"));
        Assert.Equal(FreezeMode.Embeddings, result.GetValue<FreezeMode>("--freeze"));
        Assert.Equal(PhraseBankAgreement.All, Find("finetune").Parse([]).GetValue<PhraseBankAgreement>("--agreement"));
    }

    [Fact]
    public void Options_that_override_the_profile_are_unset_unless_given()
    {
        var finetune = Find("finetune").Parse([]);
        foreach (var name in new[] { "--epochs", "--max-length", "--train-size", "--val-size", "--test-size" })
            Assert.Null(finetune.GetValue<int?>(name));
        var conll = Find("reproduce conll").Parse([]);
        foreach (var name in new[] { "--epochs", "--batch-size", "--max-length", "--train-sentences", "--valid-sentences", "--test-sentences" })
            Assert.Null(conll.GetValue<int?>(name));
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
