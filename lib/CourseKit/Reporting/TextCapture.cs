using System.Globalization;

namespace CourseKit.Reporting;

/// <summary>A report written to a TextWriter (what the CLI prints line by line), as one string for a notebook or a test.</summary>
internal static class TextCapture
{
    public static string Of(Action<TextWriter> write)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        write(writer);
        return writer.ToString();
    }
}
