namespace CourseKit.Notebooks;

/// <summary>The globals every cell sees, matching the names .NET Interactive's C# kernel provides.</summary>
public class NotebookGlobals
{
    readonly Func<CellOutputs> _outputs;

    public NotebookGlobals(Func<CellOutputs> outputs) => _outputs = outputs;

    /// <summary>Shows a value as an output of the running cell; <paramref name="mimeTypes"/> picks the formats.</summary>
    public DisplayHandle display(object? value, params string[] mimeTypes)
    {
        var output = _outputs().AddDisplay(DisplayFormatter.Format(value, mimeTypes));
        return new DisplayHandle(output, mimeTypes);
    }
}
