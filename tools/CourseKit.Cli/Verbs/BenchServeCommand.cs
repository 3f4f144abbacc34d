using System.CommandLine;
using CourseKit.Native;
using CourseKit.Serving;

namespace CourseKit.Cli.Verbs;

/// <summary><c>course bench serve [--model DIR] [--task embed] [--backend torch] [--profile quick|full] [--seed]
/// [--out DIR] [--threads]</c>: the HTTP service under load on loopback (CourseKit.Serving.ServeLoadTest); writes
/// serve.json.</summary>
static class BenchServeCommand
{
    public static Command Create()
    {
        var run = new RunOptions("artifacts/bench/serve");
        var model = new ServeVerb.ModelOptions();
        var cmd = new Command("serve", "The HTTP service under load (loopback): concurrency 1/8/32 with and without micro-batching, a bad-input mix, memory after N requests.");
        run.AddTo(cmd);
        model.AddTo(cmd);
        cmd.SetAction(parse => VerbActions.Run(parse, output =>
        {
            TorchRuntime.Initialize();
            MallocTuning.Ensure(AllocatorUse.Inference);                  // forwards in a loop: activations stay in the heap (see MallocTuning)
            run.ApplyThreads(parse);
            var dir = model.ModelDir(parse);
            var options = model.Options(parse, parse.GetValue(run.Threads));
            var test = ServeLoadTestOptions.For(parse.GetValue(run.Profile), parse.GetValue(run.Seed)) with { MaxBatch = options.MaxBatch, MaxWaitMs = options.MaxWaitMs };
            using var backend = InferenceBackends.Load(dir, options);
            output.WriteLine($"{ServingNames.Name(options.Backend)}: {backend.Description}; {TorchSharp.torch.get_num_threads()} torch threads");
            var result = ServeLoadTest.RunAsync(backend, test, Path.GetFileName(Path.TrimEndingDirectorySeparator(dir)), options.Backend, log: output.WriteLine)
                .GetAwaiter().GetResult();
            output.WriteLine($"micro-batching / one request per forward at concurrency {result.Comparison.Concurrency} (median of {result.Comparison.Rounds} interleaved rounds): {result.BatchingSpeedup:F2}×"
                + (result.Ceiling is { } ceiling ? $" (the model alone: at most {ceiling.Speedup:F2}× on {ceiling.Inputs} inputs)" : ""));
            output.WriteLine($"memory growth {result.MemoryFirst.Requests:N0} → {result.MemorySecond.Requests:N0} requests: {result.MemoryGrowth:P1}");
            var path = Path.Combine(run.OutDir(parse), "serve.json");
            VerbActions.WriteJsonFile(path, result.ToJson() + "\n");
            output.WriteLine($"wrote {path}");
            return result.BadInputMix.Status5xx == 0 && result.BadInputMix.HealthyAfter ? 0 : 1;
        }));
        return cmd;
    }
}
