namespace CourseKit.Reporting;

/// <summary>A long operation's progress: the host decides how to show it (a console line, a notebook display).</summary>
public interface IProgressHandle : IDisposable
{
    /// <summary>Reports that <paramref name="done"/> of the total units are finished, with an optional status text.</summary>
    void Report(long done, string? status = null);
}

/// <summary>Where the library sends progress and results. The CLI, the notebook runner and real notebooks plug in
/// their own; the library itself never writes to a notebook.</summary>
public interface IReportSink
{
    IProgressHandle StartProgress(string title, long? total);
    /// <summary>Shows a result (a table, a chart, a text) to the person running the code.</summary>
    void Show(object value);
}

/// <summary>The sink the library reports to; <see cref="Silent"/> until a host sets one.</summary>
public static class Reporter
{
    static IReportSink _current = Silent.Instance;

    public static IReportSink Current
    {
        get => _current;
        set => _current = value ?? Silent.Instance;
    }

    /// <summary>In a notebook kernel with no host sink (Polyglot Notebooks), report through its display function:
    /// <c>Reporter.UseDisplay(v => display(v).Update);</c>. Does nothing when a host already set a sink (the headless
    /// runner sets its own), so the same first cell works in both.</summary>
    public static void UseDisplay(Func<object, Action<object>> display)
    {
        if (_current is Silent) _current = new DisplayReportSink(display);
    }

    /// <summary>Silences reports until the returned scope is disposed (then the previous sink is back), e.g. around
    /// loads whose warnings are expected: <c>using (Reporter.Quiet()) model = ...;</c>.</summary>
    public static IDisposable Quiet()
    {
        var previous = _current;
        _current = Silent.Instance;
        return new Restore(() => _current = previous);
    }

    sealed class Restore(Action restore) : IDisposable
    {
        Action? _restore = restore;
        public void Dispose() { _restore?.Invoke(); _restore = null; }
    }

    public static IProgressHandle StartProgress(string title, long? total = null) => _current.StartProgress(title, total);
    public static void Show(object value) => _current.Show(value);

    /// <summary>Drops everything: the default for library code running without a host.</summary>
    public sealed class Silent : IReportSink, IProgressHandle
    {
        public static readonly Silent Instance = new();
        public IProgressHandle StartProgress(string title, long? total) => this;
        public void Show(object value) { }
        public void Report(long done, string? status = null) { }
        public void Dispose() { }
    }
}
