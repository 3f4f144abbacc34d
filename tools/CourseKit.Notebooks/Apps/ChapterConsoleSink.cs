using System.Diagnostics;
using System.Globalization;
using CourseKit.Reporting;

namespace CourseKit.Notebooks.Apps;

/// <summary>Library reports in an exported app: results through ChapterApp.display, progress as one line when it ends
/// (a console app has no output to update in place, and a line per step would bury the figures).</summary>
public sealed class ChapterConsoleSink : IReportSink
{
    public void Show(object value) => ChapterApp.display(value);

    public IProgressHandle StartProgress(string title, long? total) => new Progress(title, total);

    sealed class Progress : IProgressHandle
    {
        readonly string _title;
        readonly long? _total;
        readonly Stopwatch _clock = Stopwatch.StartNew();
        long _done;
        string? _status;

        public Progress(string title, long? total)
        {
            _title = title;
            _total = total;
        }

        public void Report(long done, string? status = null)
        {
            _done = done;
            _status = status;
        }

        public void Dispose()
        {
            var count = _total is { } t ? $"{_done}/{t}" : _done.ToString(CultureInfo.InvariantCulture);
            var seconds = _clock.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
            Console.WriteLine($"{_title}: {count} · {seconds} s{(_status is null ? "" : " · " + _status)}");
        }
    }
}
