using System.CommandLine;

namespace CourseKit.Cli;

public enum Profile { Quick, Full }

/// <summary>The options every long-running verb takes: --profile quick|full, --seed, --out, --threads.</summary>
sealed class RunOptions
{
    public Option<Profile> Profile { get; } = new("--profile")
    {
        Description = "quick: CPU minutes (what CI runs); full: the real run.",
        DefaultValueFactory = _ => Cli.Profile.Quick,
    };
    public Option<int> Seed { get; } = new("--seed") { Description = "Random seed (torch and data order).", DefaultValueFactory = _ => 42 };
    public Option<string> Out { get; }
    public Option<int> Threads { get; } = CreateThreadsOption();

    public RunOptions(string defaultOut)
    {
        Out = new Option<string>("--out") { Description = $"Output folder (default {defaultOut}).", DefaultValueFactory = _ => defaultOut };
    }

    public void AddTo(Command command)
    {
        command.Options.Add(Profile);
        command.Options.Add(Seed);
        command.Options.Add(Out);
        command.Options.Add(Threads);
    }

    /// <summary>Applies --threads to torch; call after TorchRuntime.Initialize().</summary>
    public void ApplyThreads(ParseResult parse) => ApplyThreads(parse, Threads);

    /// <summary>--threads, for verbs (like <c>run</c>) whose other options differ from these.</summary>
    public static Option<int> CreateThreadsOption() => new("--threads")
    {
        Description = "CPU threads for torch (0 = torch's default). On a busy 2-core machine 1 is often faster than 2.",
        DefaultValueFactory = _ => 0,
    };

    public static void ApplyThreads(ParseResult parse, Option<int> threads)
    {
        if (parse.GetValue(threads) is > 0 and var n) TorchSharp.torch.set_num_threads(n);
    }
}
