using System.Diagnostics;
using CourseKit.Reporting;

namespace CourseKit.Cli;

/// <summary>Progress as one updating console line (a plain line every few seconds when output is redirected).</summary>
public sealed class ConsoleReportSink : IReportSink
{
    public IProgressHandle StartProgress(string title, long? total) => new Line(title, total);

    public void Show(object value) => Console.WriteLine(value);

    sealed class Line : IProgressHandle
    {
        readonly string _title;
        readonly long? _total;
        readonly Stopwatch _clock = Stopwatch.StartNew();
        readonly bool _interactive = !Console.IsOutputRedirected;
        TimeSpan? _lastPrint;
        string _last = "";

        public Line(string title, long? total) { _title = title; _total = total; }

        public void Report(long done, string? status = null)
        {
            var text = $"{_title}: {done}{(_total is { } t ? $"/{t}" : "")} {status}".TrimEnd();
            _last = text;
            var interval = _interactive ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromSeconds(10);
            if (_lastPrint is { } last && _clock.Elapsed - last < interval && done != _total) return;
            _lastPrint = _clock.Elapsed;
            if (!_interactive) { Console.WriteLine(text); return; }
            int width = Math.Max(20, Console.WindowWidth - 1);
            Console.Write("\r" + (text.Length > width ? text[..width] : text.PadRight(width)));
        }

        public void Dispose()
        {
            if (_interactive && _last.Length > 0) Console.WriteLine();
        }
    }
}
