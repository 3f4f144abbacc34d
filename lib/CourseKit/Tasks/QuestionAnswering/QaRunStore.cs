using System.Text.Json;
using System.Text.Json.Nodes;
using CourseKit.Checkpoints;
using CourseKit.Data;

namespace CourseKit.Tasks.QuestionAnswering;

/// <summary>
/// The finished parts of a <c>qa train</c> experiment on disk, one small JSON file per trained reader or baseline
/// (<c>runs/fold-2.json</c>, <c>runs/curve-16.json</c>), each stamped with the recipe that made it. A full run is five
/// readers of ~20 minutes each: an interrupted run picks up at the first reader without a file, and two processes
/// given different <c>--folds</c> can share one output folder (each writes its own files; metrics.json gathers every
/// fold that is there). A file whose recipe differs from the current one is not used (it is retrained and replaced).
/// </summary>
public sealed class QaRunStore
{
    public const string FolderName = "runs";
    readonly string _dir;
    readonly string _recipe;

    public QaRunStore(string outputDir, string modelDir, QuestionAnsweringOptions options, SquadDataset data)
    {
        _dir = Path.Combine(outputDir, FolderName);
        _recipe = Recipe(modelDir, options, data);
    }

    public string PathOf(string name) => Path.Combine(_dir, name + ".json");

    /// <summary>The run saved under <paramref name="name"/> by the same recipe, else null (absent or another recipe).</summary>
    public QaRun? TryLoad(string name)
    {
        var path = PathOf(name);
        if (!File.Exists(path)) return null;
        JsonNode? json;
        try { json = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message}); delete it to retrain that part", e); }
        if (json?["recipe"]?.GetValue<string>() != _recipe) return null;
        try
        {
            return new QaRun(Field<string>(json, "name"), Field<int>(json, "train_questions"), Field<int>(json, "train_windows"),
                Field<int>(json, "test_questions"), Field<double>(json, "exact_match"), Field<double>(json, "f1"), Field<long>(json, "steps"),
                Field<double>(json, "train_seconds"), [])
            {
                ByEpoch = json["by_epoch"]?.AsArray().Select(e => new EpochScore(Field<double>(e!, "epoch"), Field<long>(e!, "step"),
                    Field<double>(e!, "exact_match"), Field<double>(e!, "f1"))).ToArray() ?? [],
                RetrieveThenRead = json["retrieve_then_read"] is { } r
                    ? new RetrievedScore(Field<int>(r, "top_k"), Field<double>(r, "exact_match"), Field<double>(r, "f1"),
                        r["over_no_answer"] is { } l ? Field<double>(l, "exact_match") : double.NaN, r["over_no_answer"] is { } m ? Field<double>(m, "f1") : double.NaN) : null,
            };
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: {e.Message}; delete it to retrain that part", e);
        }
    }

    /// <summary>Writes the run atomically (a crash leaves the old file or none, never half of one).</summary>
    public void Save(string name, QaRun run)
    {
        var json = new JsonObject
        {
            ["recipe"] = _recipe, ["name"] = run.Name, ["train_questions"] = run.TrainQuestions, ["train_windows"] = run.TrainWindows,
            ["test_questions"] = run.TestQuestions, ["exact_match"] = run.ExactMatch, ["f1"] = run.F1, ["steps"] = run.Steps,
            ["train_seconds"] = run.TrainSeconds,
        };
        if (run.ByEpoch.Count > 0)
            json["by_epoch"] = new JsonArray(run.ByEpoch.Select(e => (JsonNode)new JsonObject
            {
                ["epoch"] = e.Epoch, ["step"] = e.Step, ["exact_match"] = e.ExactMatch, ["f1"] = e.F1,
            }).ToArray());
        if (run.RetrieveThenRead is { } r)
            json["retrieve_then_read"] = new JsonObject
            {
                ["top_k"] = r.TopK, ["exact_match"] = r.ExactMatch, ["f1"] = r.F1,
                ["over_no_answer"] = double.IsNaN(r.OverNoAnswerF1) ? null : new JsonObject { ["exact_match"] = r.OverNoAnswerExactMatch, ["f1"] = r.OverNoAnswerF1 },
            };
        AtomicFile.WriteAllText(PathOf(name), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>Every setting that changes a reader's score or what its run holds (the data, post-processing, the
    /// per-epoch curve, retrieve-then-read's k); the training seed included, the fold selection not.</summary>
    static string Recipe(string modelDir, QuestionAnsweringOptions o, SquadDataset data) => string.Join("; ",
        $"data {(File.Exists(data.Source) ? Path.GetFullPath(data.Source) : data.Source)} ({data.Articles.Count} articles, {data.Questions.Count} questions)",
        $"n-best {o.NBest}", $"max answer {o.MaxAnswerLength}", $"each epoch {o.EvalEachEpoch}", $"retrieve top {o.RetrieveTopK}",
        $"model {Path.GetFullPath(modelDir)}", $"profile {o.ProfileName}", $"seed {o.Seed}", $"split seed {o.SplitSeed}",
        $"folds {o.Folds}", $"train questions {o.TrainQuestions?.ToString() ?? "all"}", $"test questions {o.TestQuestions?.ToString() ?? "all"}",
        $"max length {o.MaxLength}", $"stride {o.Stride}", $"lr {o.LearningRate:R}", $"epochs {o.Epochs}", $"min steps {o.MinSteps}",
        $"batch {o.BatchSize}", $"precision {o.Precision}".ToLowerInvariant(), o.GroupByLength ? "batches by length" : "random batches");

    static T Field<T>(JsonNode json, string name) =>
        (json[name] ?? throw new InvalidOperationException($"missing field '{name}'")).GetValue<T>();
}
