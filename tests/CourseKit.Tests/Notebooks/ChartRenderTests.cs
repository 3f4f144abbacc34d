using System.Diagnostics;
using CourseKit.Notebooks;
using static CourseKit.Tests.Notebooks.NotebookFixtures;

namespace CourseKit.Tests.Notebooks;

/// <summary>Opens an exported notebook in headless Chromium with no network and checks that the chart was drawn.</summary>
[Collection("Notebooks")]
[KeepTensorsAlive]
public class ChartRenderTests
{
    static string Chromium()
    {
        var candidates = new[] { Environment.GetEnvironmentVariable("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser" };
        return candidates.FirstOrDefault(c => !string.IsNullOrEmpty(c) && File.Exists(c))
               ?? throw new Xunit.Sdk.XunitException(
                   "Chromium not found (set $CHROMIUM or install it: apt-get update && apt-get install -y chromium); this test needs it to render the exported HTML");
    }

    [Fact]
    public async Task Exported_chart_renders_offline_in_headless_chromium()
    {
        var chromium = Chromium();
        var dir = TestPaths.NewTempDir("coursekit-chart");
        var path = Save(dir, "chart",
            Code("#r \"nuget: Plotly.NET.CSharp, 0.14.0\"\nusing Plotly.NET.CSharp;"),
            Code("Chart.Line<int, double, string>(x: Enumerable.Range(0, 20), y: Enumerable.Range(0, 20).Select(i => Math.Sin(i / 3.0)))"));
        var result = await new NotebookRunner(new NotebookRunOptions { OutputDirectory = dir }).RunAsync(path);
        Assert.True(result.Succeeded, result.FailureMessage);

        var png = Path.Combine(dir, "chart.png");
        var profile = TestPaths.NewTempDir("coursekit-chromium");
        var psi = new ProcessStartInfo(chromium)
        {
            RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", $"--user-data-dir={profile}", "--virtual-time-budget=5000",
                     "--window-size=1000,700", $"--screenshot={png}", "file://" + result.OutputHtmlPath,
                 })
            psi.ArgumentList.Add(arg);
        using (var process = Process.Start(psi)!)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            _ = process.StandardOutput.ReadToEndAsync();
            if (!process.WaitForExit(60_000)) { process.Kill(true); Assert.Fail("chromium did not finish in 60 s"); }
            Assert.True(File.Exists(png), $"chromium wrote no screenshot (exit {process.ExitCode}): {await stderr}");
        }

        var image = PngImage.Read(png);
        Assert.Equal((1000, 700), (image.Width, image.Height));
        long nonWhite = 0, traceBlue = 0;
        var colors = new HashSet<int>();
        // The chart sits below the title and the code cells; look at the whole page.
        for (var y = 0; y < image.Height; y++)
            for (var x = 0; x < image.Width; x++)
            {
                var (r, g, b) = image[x, y];
                if (r < 245 || g < 245 || b < 245) nonWhite++;
                colors.Add(r << 16 | g << 8 | b);
                // Plotly's first trace colour is #636efa: clearly bluer than red and green.
                if (b > 200 && r < 140 && g < 150) traceBlue++;
            }
        var fraction = nonWhite / (double)(image.Width * image.Height);
        Assert.True(fraction > 0.05, $"only {fraction:P1} of the page is non-white: the chart looks blank");
        Assert.True(colors.Count >= 8, $"only {colors.Count} distinct colours");
        Assert.True(traceBlue >= 50, $"only {traceBlue} pixels of the trace colour: no line was drawn");
    }
}
