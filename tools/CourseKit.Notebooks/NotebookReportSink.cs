using System.Diagnostics;
using System.Globalization;
using System.Net;
using CourseKit.Reporting;

namespace CourseKit.Notebooks;

/// <summary>Library reports while a notebook runs: Show → display, progress → one display updated in place.</summary>
public sealed class NotebookReportSink : IReportSink
{
    readonly NotebookGlobals _globals;

    public NotebookReportSink(NotebookGlobals globals) => _globals = globals;

    public void Show(object value) => _globals.display(value);

    public IProgressHandle StartProgress(string title, long? total)
    {
        var progress = new Progress(title, total);
        progress.Handle = _globals.display(progress.Render(0, null));
        return progress;
    }

    sealed class Progress : IProgressHandle
    {
        readonly string _title;
        readonly long? _total;
        readonly Stopwatch _clock = Stopwatch.StartNew();
        long _done;
        string? _status;
        public DisplayHandle? Handle;

        public Progress(string title, long? total)
        {
            _title = title;
            _total = total;
        }

        public void Report(long done, string? status = null)
        {
            _done = done;
            _status = status;
            Handle?.Update(Render(done, status));
        }

        public void Dispose() => Handle?.Update(Render(_done, _status is null ? "done" : _status + " (done)"));

        public MimeBundle Render(long done, string? status)
        {
            var elapsed = _clock.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";
            var count = _total is { } t ? $"{done}/{t}" : done.ToString(CultureInfo.InvariantCulture);
            var percent = _total is > 0 ? $" ({100.0 * done / _total.Value:0}%)" : "";
            var text = $"{_title}: {count}{percent} · {elapsed}{(status is null ? "" : " · " + status)}";
            var bar = _total is > 0 ? $"<progress value=\"{done}\" max=\"{_total}\"></progress> " : "";
            var html = $"<div class=\"coursekit-progress\"><b>{WebUtility.HtmlEncode(_title)}</b> {bar}{count}{percent} · {elapsed}" +
                       (status is null ? "" : " · " + WebUtility.HtmlEncode(status)) + "</div>";
            return new MimeBundle(new Dictionary<string, string> { [DisplayFormatter.Html] = html, [DisplayFormatter.Plain] = text });
        }
    }
}
