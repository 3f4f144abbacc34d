using System.CommandLine;
using CourseKit.Checkpoints;
using CourseKit.Models;
using CourseKit.Training;

namespace CourseKit.Cli.Verbs;

/// <summary>What every verb's action shares: turning an expected failure into one 'error:' line, and writing a
/// --json file.</summary>
public static class VerbActions
{
    /// <summary>A failure the user can act on, whose message names the file, field, tensor or flag: a missing or
    /// unreadable file, dataset or model folder (IOException covers DatasetMissingException, ModelFolderMissingException
    /// and checksum mismatches), a malformed file (FormatException: SQuAD and data files; InvalidDataException;
    /// safetensors; a tensor of the wrong shape), a bad argument, something the backend does not support, a download
    /// that failed, and a training run whose loss diverged (the message names the step and the checkpoint to resume
    /// from). Anything else is a bug and keeps its stack trace.</summary>
    public static bool IsUserError(Exception ex) =>
        ex is IOException or UnauthorizedAccessException or ArgumentException or FormatException or InvalidDataException
            or NotSupportedException or SafeTensorsFormatException or StateDictShapeException or TrainingDivergedException
            or HttpRequestException;

    /// <summary>Runs the verb body; an exception <see cref="IsUserError"/> accepts prints one 'error:' line and exits 1.
    /// <paramref name="describe"/> may reword a message in the CLI's terms (a library argument name as its --flag, say).</summary>
    public static int Run(ParseResult parse, Func<TextWriter, int> body, Func<Exception, string, string>? describe = null) =>
        Run(parse, body, IsUserError, describe);

    /// <summary><see cref="Run(ParseResult, Func{TextWriter, int}, Func{Exception, string, string}?)"/> for a verb that
    /// also accepts failures of its own (<paramref name="isUserError"/>, tried after <see cref="IsUserError"/>).</summary>
    public static int Run(ParseResult parse, Func<TextWriter, int> body, Func<Exception, bool> isUserError,
        Func<Exception, string, string>? describe = null)
    {
        try
        {
            return body(parse.InvocationConfiguration.Output);
        }
        catch (Exception ex) when (IsUserError(ex) || isUserError(ex))
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
