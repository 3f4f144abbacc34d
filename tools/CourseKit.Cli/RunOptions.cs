using System.CommandLine;

namespace CourseKit.Cli;

public enum Profile { Quick, Full }

/// <summary>The options every long-running verb takes: --profile quick|full, --seed, --out.</summary>
sealed class RunOptions
{
    public Option<Profile> Profile { get; } = new("--profile")
    {
        Description = "quick: CPU minutes (what CI runs); full: the real run.",
        DefaultValueFactory = _ => Cli.Profile.Quick,
    };
    public Option<int> Seed { get; } = new("--seed") { Description = "Random seed (torch and data order).", DefaultValueFactory = _ => 42 };
    public Option<string> Out { get; }

    public RunOptions(string defaultOut)
    {
        Out = new Option<string>("--out") { Description = $"Output folder (default {defaultOut}).", DefaultValueFactory = _ => defaultOut };
    }

    public void AddTo(Command command)
    {
        command.Options.Add(Profile);
        command.Options.Add(Seed);
        command.Options.Add(Out);
    }
}
