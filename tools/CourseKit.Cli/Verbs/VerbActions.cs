using System.CommandLine;

namespace CourseKit.Cli.Verbs;

/// <summary>What every verb's action shares: turning an expected failure into one 'error:' line, and writing a
/// --json file.</summary>
static class VerbActions
{
    /// <summary>Runs the verb body; an exception <paramref name="isUserError"/> accepts prints one 'error:' line and
    /// exits 1 (anything else is a bug and keeps its stack trace). <paramref name="describe"/> may reword a message
    /// in the CLI's terms (a library argument name as its --flag, say).</summary>
    public static int Run(ParseResult parse, Func<TextWriter, int> body, Func<Exception, bool> isUserError,
        Func<Exception, string, string>? describe = null)
    {
        try
        {
            return body(parse.InvocationConfiguration.Output);
        }
        catch (Exception ex) when (isUserError(ex))
        {
            var message = ex is ArgumentException { ParamName: { } param } ? ex.Message.Replace($" (Parameter '{param}')", "") : ex.Message;
            parse.InvocationConfiguration.Error.WriteLine($"error: {describe?.Invoke(ex, message) ?? message}");
            return 1;
        }
    }

    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/>, creating its folder.</summary>
    public static void WriteJsonFile(string path, string content)
    {
        var parent = Path.GetDirectoryName(Path.GetFullPath(path));
        if (parent is not null) Directory.CreateDirectory(parent);
        File.WriteAllText(path, content);
    }
}
