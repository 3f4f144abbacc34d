using System.CommandLine;

namespace CourseKit.Cli;

/// <summary>The options every long-running verb takes: --profile quick|full, --seed, --out, --threads.</summary>
sealed class RunOptions
{
    public Option<Profile> Profile { get; } = new("--profile")
    {
        Description = "quick: CPU minutes (what CI runs); full: the real run.",
        DefaultValueFactory = _ => CourseKit.Profile.Quick,
    };
    public Option<int> Seed { get; } = new("--seed") { Description = "Random seed (torch and data order).", DefaultValueFactory = _ => 42 };
    public Option<string?> Out { get; }
    public Option<int> Threads { get; } = CreateThreadsOption();
    readonly Func<ParseResult, string> _defaultOut;

    /// <summary><paramref name="defaultOut"/> is relative to the repository root (<see cref="CoursePaths.Resolve"/>).</summary>
    public RunOptions(string defaultOut) : this(defaultOut, _ => CoursePaths.Resolve(defaultOut)) { }

    /// <summary>A default output folder that depends on other arguments (e.g. the model pretrained).</summary>
    public RunOptions(string defaultOutDescription, Func<ParseResult, string> defaultOut)
    {
        Out = new Option<string?>("--out") { Description = $"The run's folder (default {defaultOutDescription}, under the repository root)." };
        _defaultOut = defaultOut;
    }

    public void AddTo(Command command)
    {
        command.Options.Add(Profile);
        command.Options.Add(Seed);
        command.Options.Add(Out);
        command.Options.Add(Threads);
    }

    /// <summary>--out as an absolute path (a relative one is taken from the current folder), else the default.</summary>
    public string OutDir(ParseResult parse) => parse.GetValue(Out) is { Length: > 0 } given ? Path.GetFullPath(given) : _defaultOut(parse);

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

/// <summary>Options whose words map to values (<c>--task sst2|phrasebank</c>): any case, the accepted words named in
/// the error.</summary>
static class ChoiceOption
{
    public static Option<T> Create<T>(string name, string description, T defaultValue, params (string Word, T Value)[] choices)
    {
        var option = new Option<T>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        option.CustomParser = result =>
        {
            var word = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            foreach (var (w, value) in choices)
                if (string.Equals(w, word, StringComparison.OrdinalIgnoreCase)) return value;
            result.AddError($"{name} must be one of {string.Join(", ", choices.Select(c => c.Word))}, got '{word}'");
            return defaultValue;
        };
        option.CompletionSources.Add(choices.Select(c => c.Word).ToArray());
        return option;
    }
}

/// <summary><c>--precision fp32|bf16</c>, the same word list and meaning for every training verb.</summary>
static class PrecisionOption
{
    public static Option<CourseKit.Training.Precision> Create(string? scope = null) => ChoiceOption.Create("--precision",
        (scope is null ? "" : scope + ": ") + "fp32, or bf16 (bf16 weights and activations, fp32 master weights; evaluation, checkpoints " +
        "and the saved model in fp32). About 1.5× faster on CPUs with AVX-512 BF16 or AMX.",
        CourseKit.Training.Precision.Fp32, ("fp32", CourseKit.Training.Precision.Fp32), ("bf16", CourseKit.Training.Precision.Bf16));
}
