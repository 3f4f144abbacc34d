using System.CommandLine;
using CourseKit.Checkpoints;
using CourseKit.Native;
using CourseKit.Serving;

namespace CourseKit.Cli.Verbs;

/// <summary><c>course serve --model DIR --task classify|ner|qa|embed [--backend torch|torch-packed|onnx|onnx-int8] [--port]
/// [--max-batch] [--max-wait-ms] [--threads]</c>: the model as an HTTP service on loopback (CourseKit.Serving) until
/// Ctrl+C / SIGTERM, which stops it gracefully (in-flight requests finish).</summary>
public static class ServeVerb
{
    /// <summary>The options serve and bench serve share: model, task, backend, ONNX file, batching.</summary>
    internal sealed class ModelOptions
    {
        public Option<string?> Model { get; } = new("--model") { Description = "Hugging Face BERT folder (default: the imported all-MiniLM-L6-v2)." };
        public Option<ServingTask> Task { get; } = ChoiceOption.Create("--task", "What the service answers: classify, ner, qa or embed.", ServingTask.Embed,
            ("classify", ServingTask.Classify), ("ner", ServingTask.Ner), ("qa", ServingTask.Qa), ("embed", ServingTask.Embed));
        public Option<ServingBackend> Backend { get; } = ChoiceOption.Create("--backend", "torch (the kit's BERT), torch-packed (the same, its Linears on oneDNN weights packed once: faster at small batches), onnx or onnx-int8 (ONNX Runtime: classify, ner and qa on the kit's export of the folder's head, written to DIR/onnx/ on first use; embed).",
            ServingBackend.Torch, ("torch", ServingBackend.Torch), ("torch-packed", ServingBackend.TorchPacked), ("onnx", ServingBackend.Onnx), ("onnx-int8", ServingBackend.OnnxInt8));
        public Option<string?> Onnx { get; } = new("--onnx") { Description = "ONNX file for the onnx backends (default: classify/ner/qa DIR/onnx/<head>[.int8].onnx, exported when missing or older than the weights; embed model.onnx / model.int8.onnx in the model folder)." };
        public Option<int> MaxBatch { get; } = new("--max-batch") { Description = "Most texts per forward pass; 1 = no micro-batching.", DefaultValueFactory = _ => 32 };
        public Option<double> MaxWaitMs { get; } = new("--max-wait-ms") { Description = "How long to wait for more requests before running a batch.", DefaultValueFactory = _ => 2 };

        public void AddTo(Command command)
        {
            foreach (var option in new Option[] { Model, Task, Backend, Onnx, MaxBatch, MaxWaitMs }) command.Options.Add(option);
        }

        public string ModelDir(ParseResult parse) => parse.GetValue(Model) is { Length: > 0 } given ? ImportedEncoders.EnsureFolder(given) : ImportedEncoders.EnsureDefault();

        public ServingOptions Options(ParseResult parse, int threads) => new()
        {
            Task = parse.GetValue(Task), Backend = parse.GetValue(Backend), OnnxPath = parse.GetValue(Onnx),
            MaxBatch = parse.GetValue(MaxBatch), MaxWaitMs = parse.GetValue(MaxWaitMs), OnnxThreads = threads,
        };
    }


    public static Command Create()
    {
        var model = new ModelOptions();
        var port = new Option<int>("--port") { Description = "Port on 127.0.0.1 (0 = any free port).", DefaultValueFactory = _ => 8080 };
        var threads = RunOptions.CreateThreadsOption();
        var cmd = new Command("serve", "Serve a model over HTTP on loopback: POST /classify|/ner|/qa|/embed, GET /health, GET /metrics (Prometheus).");
        model.AddTo(cmd);
        cmd.Options.Add(port);
        cmd.Options.Add(threads);
        cmd.SetAction(parse => VerbActions.Run(parse, output =>
        {
            TorchRuntime.Initialize();
            MallocTuning.Ensure(AllocatorUse.Inference);                  // forwards in a loop: activations stay in the heap (see MallocTuning)
            RunOptions.ApplyThreads(parse, threads);
            var dir = model.ModelDir(parse);
            var options = model.Options(parse, parse.GetValue(threads)) with { Port = parse.GetValue(port) };
            var host = ServingHost.Load(dir, options);
            try
            {
                host.StartAsync().GetAwaiter().GetResult();
                output.WriteLine($"serving {dir}");
                output.WriteLine($"  {ServingNames.Name(options.Backend)}: {host.BackendDescription}");
                output.WriteLine($"  POST {new Uri(host.BaseAddress, ServingNames.Name(options.Task))}   GET {host.BaseAddress}health   GET {host.BaseAddress}metrics");
                output.WriteLine("  Ctrl+C stops (in-flight requests finish first)");
                host.RunUntilStoppedAsync().GetAwaiter().GetResult();
                output.WriteLine($"stopped after {host.Metrics.Requests(_ => true):N0} requests");
            }
            finally { host.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
            return 0;
        }, (e, message) => e is IOException { InnerException: System.Net.Sockets.SocketException }
            ? $"{message} (is the port taken? choose another with --port)" : message));
        return cmd;
    }
}
