using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CourseKit.Serving;

/// <summary>
/// The HTTP service: a minimal-API Kestrel app on loopback in front of a <see cref="MicroBatcher"/>.
/// <c>POST /classify|/ner|/qa|/embed</c> (only the started task's path answers; the others 404 with a message),
/// <c>GET /health</c>, <c>GET /metrics</c>. Start with <see cref="StartAsync"/>, stop with <see cref="StopAsync"/>,
/// which refuses new connections, lets every accepted request finish (up to the shutdown timeout), then stops the
/// inference thread. Usable from a notebook or a test in-process, and by <c>course serve</c>.
/// </summary>
public sealed class ServingHost : IAsyncDisposable
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    readonly WebApplication _app;
    readonly MicroBatcher _batcher;
    readonly IServingBackend _backend;
    readonly bool _ownsBackend;
    int _stopped;

    public ServingOptions Options { get; }
    public ServingMetrics Metrics { get; } = new();
    /// <summary>The backend's one-line description (model, labels or dimension).</summary>
    public string BackendDescription => _backend.Description;
    /// <summary>http://127.0.0.1:PORT once started (the port the OS chose when <see cref="ServingOptions.Port"/> is 0).</summary>
    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");

    /// <param name="ownsBackend">dispose the backend (the model) when the host is disposed.</param>
    /// <param name="onInferenceThreadStart">runs first on the inference thread (torch.set_num_threads, say).</param>
    public ServingHost(IServingBackend backend, ServingOptions options, bool ownsBackend = true, Action? onInferenceThreadStart = null)
    {
        if (backend.Task != options.Task)
            throw new ArgumentException($"the backend serves {ServingNames.Name(backend.Task)} but the options ask for {ServingNames.Name(options.Task)}", nameof(options));
        (_backend, Options, _ownsBackend) = (backend, options, ownsBackend);
        _batcher = new MicroBatcher(backend, options, Metrics, onInferenceThreadStart);
        _app = Build();
    }

    /// <summary>Loads the model folder with the options' backend and task.</summary>
    public static ServingHost Load(string modelDir, ServingOptions options, Action? onInferenceThreadStart = null) =>
        new(InferenceBackends.Load(modelDir, options), options, ownsBackend: true, onInferenceThreadStart);

    WebApplication Build()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = Options.ShutdownTimeout);
        builder.WebHost.ConfigureKestrel(k =>
        {
            // The body limit is enforced by RequestBody (a 413 with a message); Kestrel's cap sits above it so the
            // excess can be drained and the client reads the 413.
            k.Limits.MaxRequestBodySize = (long)Options.MaxBodyBytes + RequestBody.DrainAllowance;
            k.AddServerHeader = false;
            if (Options.ListenOnAllInterfaces) k.ListenAnyIP(Options.Port);
            else k.Listen(IPAddress.Loopback, Options.Port);
        });
        var app = builder.Build();
        foreach (var task in Enum.GetValues<ServingTask>())
        {
            var path = ServingNames.Path(task);
            if (task == Options.Task) app.MapPost(path, Predict);
            else app.MapPost(path, (HttpContext c) =>
            {
                Metrics.CountRequest(path, 404);
                return Error(c, 404, $"this service was started for {ServingNames.Name(Options.Task)}; POST {ServingNames.Path(Options.Task)} instead");
            });
        }
        app.MapGet("/health", (HttpContext c) => Respond(c, 200, new
        {
            status = _stopped == 0 ? "ok" : "stopping", task = ServingNames.Name(Options.Task), backend = ServingNames.Name(Options.Backend),
            model = _backend.Description, maxBatch = Options.MaxBatch, queueDepth = Metrics.QueueDepth,
        }));
        app.MapGet("/metrics", (HttpContext c) =>
        {
            c.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            return c.Response.WriteAsync(Metrics.ToPrometheusText());
        });
        return app;
    }

    async Task Predict(HttpContext context)
    {
        long started = Stopwatch.GetTimestamp();
        int status = 500;
        bool arriving = true;
        Metrics.ArrivalStarted();
        try
        {
            var body = await RequestBody.ReadAsync(context.Request, Options.MaxBodyBytes, context.RequestAborted);
            var request = RequestParser.Parse(body.Span, Options.Task, Options);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            timeout.CancelAfter(Options.RequestTimeout);
            IReadOnlyList<object> results;
            Task<IReadOnlyList<object>> queued;
            // No longer arriving once queued, and said before the write: the inference thread may take the request
            // the instant it lands, and a lone request counted as still arriving would wait MaxWaitMs for itself.
            Metrics.ArrivalEnded(); arriving = false;
            queued = _batcher.SubmitAsync(request.Inputs, timeout.Token);
            try { results = await queued.WaitAsync(timeout.Token); }
            catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
            {
                throw new ServingRequestException(503, $"no answer within the request timeout ({Options.RequestTimeout.TotalMilliseconds:F0} ms); the service is overloaded");
            }
            status = 200;
            await Respond(context, 200, request.Single ? results[0] : new { results });
        }
        catch (ServingRequestException e) { status = e.StatusCode; await Error(context, e.StatusCode, e.Message); }
        catch (BadHttpRequestException e) { status = e.StatusCode; await Error(context, e.StatusCode, e.Message); }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested) { status = 499; }   // the client left
        catch (Exception) when (context.RequestAborted.IsCancellationRequested) { status = 499; }   // e.g. a connection reset mid-upload: not a server error
        catch (Exception e) { status = 500; await Error(context, 500, $"inference failed: {e.GetType().Name}: {e.Message}"); }
        finally
        {
            if (arriving) Metrics.ArrivalEnded();
            Metrics.CountRequest(ServingNames.Path(Options.Task), status);   // not the client's spelling (/CLASSIFY/): one series per endpoint
            Metrics.Latency.Observe((Stopwatch.GetTimestamp() - started) / (double)Stopwatch.Frequency);
        }
    }

    static Task Error(HttpContext context, int status, string message) => Respond(context, status, new { error = message, status });

    static async Task Respond(HttpContext context, int status, object value)
    {
        if (context.Response.HasStarted) return;
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await JsonSerializer.SerializeAsync(context.Response.Body, value, value.GetType(), Json, context.RequestAborted);
    }

    public async Task StartAsync(CancellationToken cancel = default)
    {
        await _app.StartAsync(cancel);
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.Replace("[::]", "127.0.0.1").Replace("0.0.0.0", "127.0.0.1") + "/");
    }

    /// <summary>Runs until <paramref name="cancel"/> fires or the process is asked to stop (Ctrl+C, SIGTERM), then stops gracefully.</summary>
    public async Task RunUntilStoppedAsync(CancellationToken cancel = default)
    {
        await _app.WaitForShutdownAsync(cancel).ContinueWith(_ => { }, TaskScheduler.Default);
        await StopAsync();
    }

    /// <summary>Graceful stop: no new connections, accepted requests finish, then the inference thread drains and ends.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1) return;
        await _app.StopAsync();
        await _batcher.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
        if (_ownsBackend) _backend.Dispose();
    }
}
