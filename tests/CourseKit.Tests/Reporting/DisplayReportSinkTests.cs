using CourseKit.Reporting;

namespace CourseKit.Tests.Reporting;

[Collection("Notebooks")] // touches the process-wide Reporter.Current
[KeepTensorsAlive]
public class DisplayReportSinkTests
{
    [Fact]
    public void Progress_is_one_display_updated_in_place_and_results_are_displayed()
    {
        var displayed = new List<object>();
        var updates = new List<object>();
        var sink = new DisplayReportSink(v => { displayed.Add(v); return updates.Add; });
        using (var p = sink.StartProgress("train", 4))
        {
            p.Report(1, "loss 2.0");
            p.Report(4, "loss 1.0");
        }
        sink.Show("table");
        Assert.Equal(2, displayed.Count); // one progress display, one result
        Assert.StartsWith("train: 0/4", (string)displayed[0]);
        Assert.Equal("table", displayed[1]);
        Assert.StartsWith("train: 1/4 (25%) loss 2.0", (string)updates[0]);
        Assert.StartsWith("train: 4/4 (100%) loss 1.0", (string)updates[1]);
        Assert.EndsWith("(done)", (string)updates[^1]);
    }

    [Fact]
    public void UseDisplay_only_replaces_the_silent_default()
    {
        var previous = Reporter.Current;
        try
        {
            Reporter.Current = null!; // back to Silent
            Reporter.UseDisplay(v => _ => { });
            Assert.IsType<DisplayReportSink>(Reporter.Current);
            var host = new DisplayReportSink(v => _ => { });
            Reporter.Current = host;
            Reporter.UseDisplay(v => _ => { });
            Assert.Same(host, Reporter.Current);
        }
        finally { Reporter.Current = previous; }
    }

    [Fact]
    public void Quiet_drops_reports_until_disposed_then_restores_the_sink()
    {
        var previous = Reporter.Current;
        try
        {
            var shown = new List<object>();
            Reporter.Current = new DisplayReportSink(v => { shown.Add(v); return _ => { }; });
            using (Reporter.Quiet())
            {
                Reporter.Show("hidden");
                Assert.IsType<Reporter.Silent>(Reporter.Current);
            }
            Reporter.Show("visible");
            Assert.Equal(new object[] { "visible" }, shown);
        }
        finally { Reporter.Current = previous; }
    }
}
