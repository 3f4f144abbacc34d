using System.CommandLine;
using CourseKit.Data;
using CourseKit.Metrics;

namespace CourseKit.Cli.Verbs;

/// <summary><c>course metrics squad --data FILE --predictions FILE [--json OUT]</c>: the official SQuAD v1.1 exact
/// match and F1 of a prediction file (question id → answer text) against a SQuAD-format data file.</summary>
public static class MetricsSquadCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "SQuAD v1.1-format data file (e.g. datasets/xquad/xquad.en.json).", Required = true };
        var predictions = new Option<string>("--predictions") { Description = "Prediction file: a JSON object, question id -> answer text.", Required = true };
        var json = new Option<string?>("--json") { Description = "Also write the unrounded scores as JSON to this file." };
        var cmd = new Command("squad", "Exact match and F1 as the official SQuAD v1.1 evaluation script computes them.");
        cmd.Options.Add(data);
        cmd.Options.Add(predictions);
        cmd.Options.Add(json);
        cmd.SetAction(parse => VerbActions.Run(parse, output =>
        {
            var dataset = SquadReader.Load(parse.GetValue(data)!);
            var scores = SquadMetric.Evaluate(dataset, SquadMetric.LoadPredictions(parse.GetValue(predictions)!));
            foreach (var id in scores.MissingIds) output.WriteLine($"unanswered question {id} scores 0");
            output.WriteLine(scores.ToString());
            if (parse.GetValue(json) is { } jsonPath)
            {
                VerbActions.WriteJsonFile(jsonPath, scores.ToJson() + "\n");
                output.WriteLine($"wrote {jsonPath}");
            }
            return 0;
        }));
        return cmd;
    }
}
