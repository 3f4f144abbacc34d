namespace CourseKit.Serving;

/// <summary>The task a service was started for; only its endpoint answers.</summary>
public enum ServingTask { Classify, Ner, Qa, Embed }

/// <summary>What runs the model: the kit's TorchSharp BERT (its Linears optionally on oneDNN weights packed once,
/// <see cref="CourseKit.Models.PackedLinears"/>), or ONNX Runtime on a graph (fp32 or int8).</summary>
public enum ServingBackend { Torch, Onnx, OnnxInt8, TorchPacked }

/// <summary>Parsing and naming of tasks and backends (the words the CLI and the URLs use).</summary>
public static class ServingNames
{
    public static string Path(ServingTask task) => "/" + Name(task);
    public static string Name(ServingTask task) => task.ToString().ToLowerInvariant();
    public static string Name(ServingBackend backend) => backend switch
    {
        ServingBackend.Torch => "torch", ServingBackend.Onnx => "onnx", ServingBackend.OnnxInt8 => "onnx-int8", ServingBackend.TorchPacked => "torch-packed",
        _ => throw new ArgumentOutOfRangeException(nameof(backend), backend, null),
    };

    public static ServingTask ParseTask(string word) =>
        Enum.GetValues<ServingTask>().FirstOrDefault(t => string.Equals(Name(t), word, StringComparison.OrdinalIgnoreCase), (ServingTask)(-1)) is var t && (int)t >= 0
            ? t : throw new ArgumentException($"unknown task '{word}' (known: {Known<ServingTask>(Name)})");

    public static ServingBackend ParseBackend(string word) =>
        Enum.GetValues<ServingBackend>().FirstOrDefault(b => string.Equals(Name(b), word, StringComparison.OrdinalIgnoreCase), (ServingBackend)(-1)) is var b && (int)b >= 0
            ? b : throw new ArgumentException($"unknown backend '{word}' (known: {Known<ServingBackend>(Name)})");

    static string Known<TEnum>(Func<TEnum, string> name) where TEnum : struct, Enum =>
        string.Join(", ", Enum.GetValues<TEnum>().Select(name));
}

/// <summary>
/// A service's settings. The limits are what keeps one client from taking the process down: a body, a text and a
/// batch larger than these get a 413 before anything is tokenized; a request that waits longer than
/// <see cref="RequestTimeout"/> (queue + forward) gets a 503 instead of holding its connection for ever.
/// </summary>
public sealed record ServingOptions
{
    public ServingTask Task { get; init; } = ServingTask.Embed;
    public ServingBackend Backend { get; init; } = ServingBackend.Torch;
    /// <summary>Loopback port; 0 picks a free one (read it back from <see cref="ServingHost.BaseAddress"/>).</summary>
    public int Port { get; init; } = 8080;
    /// <summary>Listen on every interface instead of loopback only.</summary>
    public bool ListenOnAllInterfaces { get; init; }
    /// <summary>Most inputs (texts) one forward pass takes; 1 turns micro-batching off (one request per forward).</summary>
    public int MaxBatch { get; init; } = 32;
    /// <summary>How long the inference thread waits for more requests once it has one, before running a batch.</summary>
    public double MaxWaitMs { get; init; } = 2;
    /// <summary>Requests waiting for the inference thread; more get a 503 at once (back-pressure).</summary>
    public int QueueCapacity { get; init; } = 1024;
    public int MaxBodyBytes { get; init; } = 1 << 20;
    /// <summary>Characters per text (QA: per question and per context); longer texts get a 413.</summary>
    public int MaxTextChars { get; init; } = 10_000;
    /// <summary>Texts per request in <c>{"texts": [...]}</c>.</summary>
    public int MaxTextsPerRequest { get; init; } = 64;
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>How long a graceful stop waits for in-flight requests.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Tokens per input the model sees (longer inputs are truncated or, for NER and QA, windowed); null = the model's.</summary>
    public int? MaxSequenceLength { get; init; }
    /// <summary>An ONNX file for the onnx backends; null = the folder's export of the task head (classify, ner, qa:
    /// <see cref="OnnxFolderGraphs"/>) or, for embed, model.onnx (model.int8.onnx for onnx-int8) in the model folder.</summary>
    public string? OnnxPath { get; init; }
    /// <summary>Intra-op threads of the ONNX Runtime session (0 = its default). Torch threads are set by the host.</summary>
    public int OnnxThreads { get; init; }
}
