using System.CommandLine;

namespace CourseKit.Cli.Verbs;

/// <summary><c>course prompt few-shot</c>.</summary>
static class PromptFewShotCommand
{
    public static Command Create() => new("few-shot", "Few-shot methods over seeds.");
}
