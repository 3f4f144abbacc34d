using System.Globalization;
using System.Text;
using CourseKit.Native;

namespace CourseKit.Serving;

/// <summary>A Prometheus histogram: cumulative bucket counts, sum and count (thread-safe).</summary>
public sealed class Histogram(IReadOnlyList<double> upperBounds)
{
    readonly long[] _counts = new long[upperBounds.Count + 1];
    double _sum;
    long _count;

    public void Observe(double value)
    {
        int bucket = 0;
        while (bucket < upperBounds.Count && value > upperBounds[bucket]) bucket++;
        lock (_counts) { _counts[bucket]++; _sum += value; _count++; }
    }

    public long Count { get { lock (_counts) return _count; } }
    public double Sum { get { lock (_counts) return _sum; } }
    /// <summary>Observations above the first bound (for batch sizes: forward passes that grouped more than one input).</summary>
    public long CountAboveFirstBound { get { lock (_counts) return _count - _counts[0]; } }

    public void Write(StringBuilder text, string name, string help, string labels = "")
    {
        string sep = labels.Length == 0 ? "" : ",";
        text.Append("# HELP ").Append(name).Append(' ').AppendLine(help).Append("# TYPE ").Append(name).AppendLine(" histogram");
        lock (_counts)
        {
            long cumulative = 0;
            for (int i = 0; i <= upperBounds.Count; i++)
            {
                cumulative += _counts[i];
                var le = i < upperBounds.Count ? Number(upperBounds[i]) : "+Inf";
                text.Append(name).Append("_bucket{").Append(labels).Append(sep).Append("le=\"").Append(le).Append("\"} ").AppendLine(cumulative.ToString(CultureInfo.InvariantCulture));
            }
            var suffix = labels.Length == 0 ? "" : "{" + labels + "}";
            text.Append(name).Append("_sum").Append(suffix).Append(' ').AppendLine(Number(_sum));
            text.Append(name).Append("_count").Append(suffix).Append(' ').AppendLine(_count.ToString(CultureInfo.InvariantCulture));
        }
    }

    internal static string Number(double v) => v.ToString(CultureInfo.InvariantCulture);   // shortest round-trip form
}

/// <summary>
/// What /metrics reports, in the Prometheus text format: requests by endpoint and status, errors (4xx and 5xx
/// apart), request latency, micro-batch sizes and queue wait, the queue's depth and the process's memory.
/// </summary>
public sealed class ServingMetrics
{
    static readonly double[] LatencyBounds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
    static readonly double[] BatchBounds = [1, 2, 4, 8, 16, 32, 64, 128, 256];

    readonly Dictionary<(string Path, int Status), long> _requests = new();
    public Histogram Latency { get; } = new(LatencyBounds);
    public Histogram QueueWait { get; } = new(LatencyBounds);
    public Histogram BatchSize { get; } = new(BatchBounds);
    /// <summary>The inference thread's time in the backend per micro-batch (tokenising, forward, decoding): its sum over
    /// a stretch of wall time is how busy the model was, and what is left of the wall time went to everything else.</summary>
    public Histogram BatchDuration { get; } = new(LatencyBounds);
    long _inputs, _queueDepth, _inferenceFailures, _arriving;

    public void CountRequest(string path, int status)
    {
        lock (_requests) _requests[(path, status)] = _requests.GetValueOrDefault((path, status)) + 1;
    }

    public long Requests(Func<int, bool> statusFilter)
    {
        lock (_requests) return _requests.Where(r => statusFilter(r.Key.Status)).Sum(r => r.Value);
    }

    public void CountBatch(int inputs)
    {
        BatchSize.Observe(inputs);
        Interlocked.Add(ref _inputs, inputs);
    }

    public void CountInferenceFailure() => Interlocked.Increment(ref _inferenceFailures);
    /// <summary>Requests being read and parsed, not queued yet: what a micro-batch may still wait for.</summary>
    public void ArrivalStarted() => Interlocked.Increment(ref _arriving);
    public void ArrivalEnded() => Interlocked.Decrement(ref _arriving);
    public long Arriving => Interlocked.Read(ref _arriving);
    public void QueueEntered() => Interlocked.Increment(ref _queueDepth);
    public void QueueLeft() => Interlocked.Decrement(ref _queueDepth);
    public long QueueDepth => Interlocked.Read(ref _queueDepth);

    public string ToPrometheusText()
    {
        var text = new StringBuilder();
        text.AppendLine("# HELP coursekit_requests_total HTTP requests by path and status code.").AppendLine("# TYPE coursekit_requests_total counter");
        lock (_requests)
            foreach (var ((path, status), count) in _requests.OrderBy(r => r.Key.Path, StringComparer.Ordinal).ThenBy(r => r.Key.Status))
                text.Append("coursekit_requests_total{path=\"").Append(path).Append("\",status=\"").Append(status).Append("\"} ").AppendLine(count.ToString(CultureInfo.InvariantCulture));
        text.AppendLine("# HELP coursekit_request_errors_total Requests answered with an error, by class.").AppendLine("# TYPE coursekit_request_errors_total counter");
        text.Append("coursekit_request_errors_total{class=\"4xx\"} ").AppendLine(Requests(s => s is >= 400 and < 500).ToString(CultureInfo.InvariantCulture));
        text.Append("coursekit_request_errors_total{class=\"5xx\"} ").AppendLine(Requests(s => s >= 500).ToString(CultureInfo.InvariantCulture));
        Latency.Write(text, "coursekit_request_duration_seconds", "Time from request start to response, model endpoints.");
        QueueWait.Write(text, "coursekit_queue_wait_seconds", "Time a request waited for the inference thread.");
        BatchSize.Write(text, "coursekit_batch_size", "Inputs per forward pass (micro-batch size).");
        BatchDuration.Write(text, "coursekit_batch_duration_seconds", "Time the inference thread spent in the backend per micro-batch (tokenise, forward, decode).");
        Gauge(text, "coursekit_inputs_total", "counter", "Inputs (texts) run through the model.", Interlocked.Read(ref _inputs));
        Gauge(text, "coursekit_inference_failures_total", "counter", "Forward passes that threw.", Interlocked.Read(ref _inferenceFailures));
        Gauge(text, "coursekit_queue_depth", "gauge", "Requests waiting for or in the inference thread.", QueueDepth);
        Gauge(text, "process_resident_memory_bytes", "gauge", "Resident set size of the process.", ProcessMemory.ResidentBytes());
        Gauge(text, "dotnet_gc_heap_bytes", "gauge", "Managed heap size.", GC.GetTotalMemory(false));
        return text.ToString();
    }

    static void Gauge(StringBuilder text, string name, string type, string help, long value) =>
        text.Append("# HELP ").Append(name).Append(' ').AppendLine(help).Append("# TYPE ").Append(name).Append(' ').AppendLine(type)
            .Append(name).Append(' ').AppendLine(value.ToString(CultureInfo.InvariantCulture));
}
