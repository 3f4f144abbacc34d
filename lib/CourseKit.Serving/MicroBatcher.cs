using System.Diagnostics;
using System.Threading.Channels;

namespace CourseKit.Serving;

/// <summary>
/// Dynamic micro-batching: requests from any number of HTTP threads go into one queue; a single inference thread
/// takes the first waiting request, then whatever else is queued or arrives within <see cref="ServingOptions.MaxWaitMs"/>
/// up to <see cref="ServingOptions.MaxBatch"/> inputs, and runs them as one forward pass. It waits that window only under
/// load: while another request is being read, or when the last forward served more than one request (the clients just
/// answered are about to send again). A lone client never waits for companions. One thread owning the model is
/// also what keeps TorchSharp safe here: tensors are made, used and freed on that thread only. With MaxBatch 1
/// every request gets its own forward pass (batching off).
/// </summary>
public sealed class MicroBatcher : IAsyncDisposable
{
    sealed record WorkItem(IReadOnlyList<ServingInput> Inputs, TaskCompletionSource<IReadOnlyList<object>> Done, CancellationToken Cancel, long EnqueuedAt);

    readonly IServingBackend _backend;
    readonly ServingOptions _options;
    readonly ServingMetrics _metrics;
    readonly Channel<WorkItem> _queue;
    readonly Thread _thread;
    readonly Action? _onInferenceThreadStart;
    int _lastBatchRequests;                          // requests in the last forward: > 1 means the service is under load

    /// <param name="onInferenceThreadStart">runs first on the inference thread (e.g. torch.set_num_threads, which
    /// is per thread for some backends).</param>
    public MicroBatcher(IServingBackend backend, ServingOptions options, ServingMetrics metrics, Action? onInferenceThreadStart = null)
    {
        if (options.MaxBatch < 1) throw new ArgumentOutOfRangeException(nameof(options), options.MaxBatch, "MaxBatch must be at least 1");
        (_backend, _options, _metrics, _onInferenceThreadStart) = (backend, options, metrics, onInferenceThreadStart);
        _queue = Channel.CreateBounded<WorkItem>(new BoundedChannelOptions(Math.Max(1, options.QueueCapacity))
        {
            SingleReader = true, FullMode = BoundedChannelFullMode.Wait,
        });
        _thread = new Thread(Loop) { IsBackground = true, Name = "coursekit-inference" };
        _thread.Start();
    }

    /// <summary>Queues a request's inputs; the task ends with one result per input. Throws a 503
    /// <see cref="ServingRequestException"/> when the queue is full or the batcher is stopping.</summary>
    public Task<IReadOnlyList<object>> SubmitAsync(IReadOnlyList<ServingInput> inputs, CancellationToken cancel)
    {
        var done = new TaskCompletionSource<IReadOnlyList<object>>(TaskCreationOptions.RunContinuationsAsynchronously);
        _metrics.QueueEntered();                     // before the write: the inference thread may answer it at once
        if (_queue.Writer.TryWrite(new WorkItem(inputs, done, cancel, Stopwatch.GetTimestamp()))) return done.Task;
        _metrics.QueueLeft();
        throw new ServingRequestException(503, "the service is overloaded or stopping (request queue full); retry later");
    }

    void Loop()
    {
        try
        {
            _onInferenceThreadStart?.Invoke();
            Serve();
        }
        catch (Exception e)
        {
            // The inference thread is gone (its start hook threw): no queued or later request can be answered; each
            // gets a 503 saying why instead of waiting for its timeout, and the process lives on.
            _queue.Writer.TryComplete();
            var gone = new ServingRequestException(503, $"the inference thread stopped: {e.GetType().Name}: {e.Message}");
            while (_queue.Reader.TryRead(out var item)) { item.Done.TrySetException(gone); _metrics.QueueLeft(); }
        }
    }

    void Serve()
    {
        var reader = _queue.Reader;
        WorkItem? carried = null;                    // a request that did not fit the last batch goes first in the next
        var batch = new List<WorkItem>();
        while (carried is not null || reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            batch.Clear();
            int inputs = 0;
            if (carried is not null) { batch.Add(carried); inputs = carried.Inputs.Count; carried = null; }
            long deadline = Stopwatch.GetTimestamp() + (long)(_options.MaxWaitMs * Stopwatch.Frequency / 1000);
            while (inputs < _options.MaxBatch)
            {
                if (reader.TryRead(out var next))
                {
                    // A request never splits; one bigger than the batch runs alone.
                    if (batch.Count > 0 && inputs + next.Inputs.Count > _options.MaxBatch) { carried = next; break; }
                    batch.Add(next);
                    inputs += next.Inputs.Count;
                    continue;
                }
                // Wait only under load: while another request is on its way in (being read or parsed), or after a forward
                // that served several requests. Closed-loop clients answered by the last forward send again within a
                // millisecond or two; not waiting for them splits them into two cohorts that alternate, each forward
                // holding about half of them (measured: mean batch 18 of 32 clients, 28.6 with the wait). With one
                // client, waiting would only add latency.
                long left = deadline - Stopwatch.GetTimestamp();
                bool underLoad = _metrics.Arriving > 0 || _lastBatchRequests > 1;
                if (batch.Count > 0 && (_options.MaxBatch == 1 || left <= 0 || !underLoad)) break;
                var more = reader.WaitToReadAsync().AsTask();
                if (batch.Count == 0) { if (!more.GetAwaiter().GetResult()) break; continue; }
                if (!more.Wait(TimeSpan.FromTicks(Math.Max(1, left * TimeSpan.TicksPerSecond / Stopwatch.Frequency))) || !more.Result) break;
            }
            _lastBatchRequests = batch.Count;
            if (batch.Count > 0) Run(batch);
        }
    }

    void Run(List<WorkItem> batch)
    {
        long now = Stopwatch.GetTimestamp();
        foreach (var item in batch) _metrics.QueueWait.Observe((now - item.EnqueuedAt) / (double)Stopwatch.Frequency);
        try { RunLive(batch); }
        finally { foreach (var _ in batch) _metrics.QueueLeft(); }           // in flight until answered
    }

    void RunLive(List<WorkItem> batch)
    {
        // A request whose client left or whose time ran out is not computed.
        var live = batch.Where(i => !i.Cancel.IsCancellationRequested).ToList();
        foreach (var item in batch.Where(i => i.Cancel.IsCancellationRequested)) item.Done.TrySetCanceled(item.Cancel);
        if (live.Count == 0) return;
        try { Answer(live); }
        catch (Exception) when (live.Count > 1)
        {
            // One bad input must not fail the requests it was batched with: each is run again alone.
            foreach (var item in live)
                try { Answer([item]); }
                catch (Exception e) { Fail(item, e); }
        }
        catch (Exception e) { Fail(live[0], e); }
    }

    /// <summary>A client's error (a <see cref="ServingRequestException"/>, e.g. a question too long for a window)
    /// answers with its status; anything else is a failed inference (a 500). The thread lives on either way.</summary>
    void Fail(WorkItem item, Exception e)
    {
        if (e is not ServingRequestException) _metrics.CountInferenceFailure();
        item.Done.TrySetException(e);
    }

    void Answer(List<WorkItem> live)
    {
        var inputs = live.SelectMany(i => i.Inputs).ToArray();
        long started = Stopwatch.GetTimestamp();
        var results = _backend.Run(inputs);
        _metrics.BatchDuration.Observe((Stopwatch.GetTimestamp() - started) / (double)Stopwatch.Frequency);
        if (results.Count != inputs.Length)
            throw new InvalidOperationException($"the backend returned {results.Count} results for {inputs.Length} inputs");
        _metrics.CountBatch(inputs.Length);
        int offset = 0;
        foreach (var item in live)
        {
            item.Done.TrySetResult(results.Skip(offset).Take(item.Inputs.Count).ToArray());
            offset += item.Inputs.Count;
        }
    }

    /// <summary>Stops taking requests, runs every queued one, and waits for the inference thread to end.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.Run(() => _thread.Join());
    }
}
