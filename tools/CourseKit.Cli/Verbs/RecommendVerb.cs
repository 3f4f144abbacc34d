using System.CommandLine;
using System.Globalization;
using CourseKit.Data;
using CourseKit.Native;
using CourseKit.Tasks.Recommendation;

namespace CourseKit.Cli.Verbs;

/// <summary><c>course recommend train|eval|for-user</c> on MovieLens ml-latest-small (CourseKit.Tasks.Recommendation
/// does the work). train: fit and tune on the validation item; eval: the same, then the test table with intervals
/// (results.csv/.md, metrics.json); for-user: one user's top K.</summary>
public static class RecommendVerb
{
    sealed class Arguments
    {
        public readonly RunOptions Run = new("artifacts/recommend");
        public readonly Option<string?> Models = new("--model") { Description = $"One or more of {string.Join(", ", RecommendationOptions.AllModels)}, comma-separated (default: all; for-user: sasrec)." };

        public void AddTo(Command cmd)
        {
            Run.AddTo(cmd);
            cmd.Options.Add(Models);
        }

        public RecommendationOptions Bind(ParseResult parse, string? defaultModel = null)
        {
            var options = RecommendationOptions.For(parse.GetValue(Run.Profile), Run.OutDir(parse));
            var models = (parse.GetValue(Models) ?? defaultModel)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (models?.FirstOrDefault(m => !RecommendationOptions.AllModels.Contains(m)) is { } unknown)
                throw new ArgumentException($"--model must be among {string.Join(", ", RecommendationOptions.AllModels)}, got '{unknown}'");
            return options with { Seed = parse.GetValue(Run.Seed), Models = models ?? options.Models };
        }
    }

    public static Command Create()
    {
        var cmd = new Command("recommend", "Sequential recommendation on MovieLens: baselines, SASRec, BERT4Rec, text and hybrid models under one full-ranking protocol.");
        cmd.Subcommands.Add(Create("train", "Fit each model, tuned on the validation item; print its validation NDCG@10.", evaluate: false));
        cmd.Subcommands.Add(Create("eval", "Fit each model and write the test table with 95 % intervals, the cold slice and a paired comparison (results.csv, results.md, metrics.json).", evaluate: true));
        cmd.Subcommands.Add(CreateForUser());
        return cmd;
    }

    static Command Create(string name, string description, bool evaluate)
    {
        var args = new Arguments();
        var cmd = new Command(name, description);
        args.AddTo(cmd);
        cmd.SetAction(parse => VerbActions.Run(parse, output =>
        {
            TorchRuntime.Initialize();
            args.Run.ApplyThreads(parse);
            var options = args.Bind(parse);
            using var experiment = new RecommendationExperiment(MovieLensData.Load(), options, output.WriteLine);
            if (!evaluate)
            {
                foreach (var model in options.Models) experiment.Fit(model);
                return 0;
            }
            var report = experiment.Run();
            report.Save(options.OutputDir);
            output.WriteLine(report.ToMarkdown());
            output.WriteLine($"wrote {Path.Combine(options.OutputDir, RecommendationReport.ResultsMarkdown)}, {RecommendationReport.ResultsCsv}, {RecommendationReport.MetricsJson} in {report.WallSeconds:F0} s");
            return 0;
        }));
        return cmd;
    }

    static Command CreateForUser()
    {
        var args = new Arguments();
        var user = new Option<int>("--user") { Description = "MovieLens userId.", Required = true };
        var k = new Option<int>("--k") { Description = "How many movies to list.", DefaultValueFactory = _ => 10 };
        var cmd = new Command("for-user", "Fit one model and list a user's top K unseen movies.") { user, k };
        args.AddTo(cmd);
        cmd.SetAction(parse => VerbActions.Run(parse, output =>
        {
            TorchRuntime.Initialize();
            args.Run.ApplyThreads(parse);
            var options = args.Bind(parse, defaultModel: "sasrec");
            using var experiment = new RecommendationExperiment(MovieLensData.Load(), options, output.WriteLine);
            var (model, _, _) = experiment.Fit(options.Models[0]);
            var query = Recommendations.ForUser(experiment.Split, parse.GetValue(user));
            output.WriteLine($"user {parse.GetValue(user)} ({query.History.Length} ratings), {model.Name}:");
            foreach (var r in Recommendations.TopK(model, query, experiment.Data, experiment.Split, parse.GetValue(k)))
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Rank,3}. {r.Title} [{r.Genres}] {r.Score:F3}"));
            return 0;
        }, (ex, message) => message.Replace("(userId)", "(--user)")));
        return cmd;
    }

}
