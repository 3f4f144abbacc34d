using System.CommandLine;
using CourseKit.Data;
using CourseKit.Metrics;

namespace CourseKit.Cli.Verbs;

/// <summary><c>course metrics ner --input FILE [--json OUT]</c>: token-level classification report and conlleval
/// entity scores of a file in conlleval's input format.</summary>
public static class MetricsVerb
{
    public static Command Create()
    {
        var cmd = new Command("metrics", "Evaluate predictions.");
        cmd.Subcommands.Add(CreateNer());
        cmd.Subcommands.Add(MetricsSquadCommand.Create());
        return cmd;
    }

    static Command CreateNer()
    {
        var input = new Option<string>("--input")
        {
            Description = "conlleval input: one word per line, gold and predicted tag as the last two whitespace-separated columns, blank lines between sentences (-DOCSTART- lines ignored).",
            Required = true,
        };
        var json = new Option<string?>("--json") { Description = "Also write the unrounded scores as JSON to this file." };
        var sklearn = new Option<bool>("--sklearn-layout") { Description = "Print the token report in scikit-learn's own layout (sorted labels, accuracy row) instead of the article's." };
        var digits = new Option<int>("--digits") { Description = "Decimals in the token report.", DefaultValueFactory = _ => 3 };
        var cmd = new Command("ner", "Token-level classification report (as scikit-learn's classification_report) and entity-level precision/recall/F1 (as conlleval).");
        cmd.Options.Add(input);
        cmd.Options.Add(json);
        cmd.Options.Add(sklearn);
        cmd.Options.Add(digits);
        cmd.SetAction(parse => VerbActions.Run(parse, output =>
        {
            var path = parse.GetValue(input)!;
            if (!File.Exists(path)) throw new FileNotFoundException($"Input file not found: {Path.GetFullPath(path)}", path);
            var evaluation = NerEvaluation.FromFile(path);
            output.Write(evaluation.Format(parse.GetValue(digits), parse.GetValue(sklearn)));
            if (parse.GetValue(json) is { } jsonPath)
            {
                VerbActions.WriteJsonFile(jsonPath, evaluation.ToJson() + "\n");
                output.WriteLine($"\nwrote {jsonPath}");
            }
            return 0;
        }));
        return cmd;
    }

}
