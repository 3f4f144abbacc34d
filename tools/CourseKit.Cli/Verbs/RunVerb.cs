using System.CommandLine;
using System.Diagnostics;
using CourseKit.Native;
using CourseKit.Notebooks;

namespace CourseKit.Cli.Verbs;

/// <summary>`course run`: executes notebooks headless (CourseKit.Notebooks does the work; this is the command line).</summary>
public static class RunVerb
{
    public static Command Create()
    {
        var inputs = new Argument<string[]>("notebooks") { Description = "Notebooks (.ipynb) or folders (their *.ipynb, sorted; names starting with '_' skipped)", Arity = ArgumentArity.OneOrMore };
        var profile = new Option<string>("--profile") { Description = "Parameter profile declared in the notebook metadata: quick (CPU minutes, the default), full, or none (the parameters cell as written)", DefaultValueFactory = _ => "quick" };
        var parameters = new Option<string[]>("-p", "--parameter") { Description = "Parameter override name=value (beats the profile); repeatable", AllowMultipleArgumentsPerToken = false };
        var outDir = new Option<string?>("--out") { Description = "Output folder for executed notebooks, HTML and run-summary.json (default artifacts/notebooks/)" };
        var failFast = new Option<bool>("--fail-fast") { Description = "Stop after the first failing notebook" };
        var seed = new Option<int?>("--seed") { Description = "Overrides the notebook's `seed` parameter where it declares one" };
        var threads = RunOptions.CreateThreadsOption();

        var cmd = new Command("run", "Run Polyglot C# notebooks headless; write executed .ipynb + offline HTML + run-summary.json.");
        cmd.Arguments.Add(inputs);
        foreach (var option in new Option[] { profile, parameters, outDir, failFast, seed, threads }) cmd.Options.Add(option);
        cmd.SetAction(parse =>
        {
            var overrides = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in parse.GetValue(parameters) ?? Array.Empty<string>())
            {
                var eq = p.IndexOf('=');
                if (eq <= 0)
                {
                    Console.Error.WriteLine($"course run: -p expects name=value, got '{p}'");
                    return 2;
                }
                overrides[p[..eq].Trim()] = p[(eq + 1)..];
            }
            IReadOnlyList<string> notebooks;
            try { notebooks = NotebookRunner.ExpandInputs(parse.GetValue(inputs) ?? Array.Empty<string>()); }
            catch (FileNotFoundException e)
            {
                Console.Error.WriteLine($"course run: {e.Message}");
                return 2;
            }
            if (notebooks.Count == 0)
            {
                Console.Error.WriteLine("course run: no notebooks to run");
                return 2;
            }

            // A notebook run has other threads that allocate while a cell sits in a native call (the progress display,
            // Roslyn compiling), which is when TorchSharp 0.107's scalar finalizer race strikes (seen in CI: chapter 08's
            // masked_fill failing with "Expected false to be true"). Like the test host, the runner keeps native scalars
            // (49 bytes each) unless the variable was set either way.
            if (Environment.GetEnvironmentVariable(TorchRuntime.KeepScalarsVariable) is null)
                Environment.SetEnvironmentVariable(TorchRuntime.KeepScalarsVariable, "1");
            TorchRuntime.Initialize();
            MallocTuning.Ensure(AllocatorUse.Chapters);                   // steps and forwards reuse heap pages (see MallocTuning)
            RunOptions.ApplyThreads(parse, threads);
            var clock = Stopwatch.StartNew();
            var console = Console.Out;
            var options = new NotebookRunOptions
            {
                OutputDirectory = parse.GetValue(outDir) ?? DefaultOutDir(),
                Profile = parse.GetValue(profile) is "none" or null ? null : parse.GetValue(profile),
                Parameters = overrides,
                Seed = parse.GetValue(seed),
                Threads = parse.GetValue(threads) is > 0 and var n ? n : null,
                FailFast = parse.GetValue(failFast),
                Log = line => console.WriteLine($"{clock.Elapsed.TotalSeconds,7:0.0}s  {line}"),
            };
            var report = new NotebookRunner(options).RunAllAsync(notebooks).GetAwaiter().GetResult();

            Console.WriteLine();
            foreach (var result in report.Notebooks)
            {
                Console.WriteLine($"{(result.Succeeded ? "ok  " : "FAIL")} {result.NotebookPath} ({result.Duration.TotalSeconds:0.0} s)");
                if (result.FailureMessage is { } message) Console.WriteLine($"     {message}");
                foreach (var note in result.Notes) Console.WriteLine($"     note: {note}");
            }
            var failedCount = report.Notebooks.Count(n => !n.Succeeded);
            var notRun = notebooks.Count - report.Notebooks.Count;
            Console.WriteLine($"{report.Notebooks.Count - failedCount} passed, {failedCount} failed" + (notRun > 0 ? $", {notRun} not run (--fail-fast)" : "") +
                              $" in {report.Duration.TotalSeconds:0.0} s; outputs in {options.OutputDirectory}");
            return report.Succeeded && notRun == 0 ? 0 : 1;
        });
        return cmd;
    }

    /// <summary>artifacts/notebooks/ under the repository root (<see cref="CoursePaths"/>), else under the current folder.</summary>
    static string DefaultOutDir() => CoursePaths.InRepo("artifacts", "notebooks");
}
