using System.Diagnostics;

namespace CourseKit.Reporting;

/// <summary>
/// Reports through a notebook's own display function, for kernels where no host has set a sink (Polyglot Notebooks
/// in VS Code): <c>Reporter.UseDisplay(v => display(v).Update);</c>. Results are displayed; progress is one
/// display updated in place.
/// </summary>
public sealed class DisplayReportSink(Func<object, Action<object>> display) : IReportSink
{
    public IProgressHandle StartProgress(string title, long? total) => new Progress(display, title, total);

    public void Show(object value) => display(value);

    sealed class Progress : IProgressHandle
    {
        readonly Action<object> _update;
        readonly string _title;
        readonly long? _total;
        readonly Stopwatch _clock = Stopwatch.StartNew();
        TimeSpan? _last;
        long _done;
        string? _status;

        public Progress(Func<object, Action<object>> display, string title, long? total)
        {
            _title = title;
            _total = total;
            _update = display(Text());
        }

        public void Report(long done, string? status = null)
        {
            _done = done;
            _status = status;
            if (_last is { } last && _clock.Elapsed - last < TimeSpan.FromMilliseconds(250) && done != _total) return;
            _last = _clock.Elapsed;
            _update(Text());
        }

        public void Dispose() => _update(Text() + " (done)");

        string Text()
        {
            var share = _total is > 0 ? $" ({100.0 * _done / _total.Value:F0}%)" : "";
            return $"{_title}: {_done}{(_total is { } t ? $"/{t}" : "")}{share} {_status} [{_clock.Elapsed:hh\\:mm\\:ss}]".Replace("  ", " ");
        }
    }
}
