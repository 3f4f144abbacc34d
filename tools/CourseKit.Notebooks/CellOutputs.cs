using System.Text;
using System.Text.Json.Nodes;

namespace CourseKit.Notebooks;

/// <summary>The outputs of the cell now running: stream text (merged per stream like Jupyter does), display_data,
/// execute_result and error entries, in the order they happened. Thread-safe (cells may write from any thread).</summary>
public sealed class CellOutputs
{
    readonly object _gate = new();
    readonly JsonArray _outputs;
    readonly Dictionary<JsonObject, StringBuilder> _streams = new(ReferenceEqualityComparer.Instance);
    JsonObject? _lastStream;

    public CellOutputs(JsonArray outputs) => _outputs = outputs;

    public void AppendStream(string name, string text)
    {
        if (text.Length == 0) return;
        lock (_gate)
        {
            if (_lastStream is null || _lastStream["name"]!.GetValue<string>() != name || _outputs.Count == 0 || _outputs[^1] != _lastStream)
            {
                _lastStream = new JsonObject { ["output_type"] = "stream", ["name"] = name, ["text"] = new JsonArray() };
                _outputs.Add(_lastStream);
                _streams[_lastStream] = new StringBuilder();
            }
            _streams[_lastStream].Append(text);
        }
    }

    public JsonObject AddDisplay(JsonObject data)
    {
        var output = new JsonObject { ["output_type"] = "display_data", ["data"] = data, ["metadata"] = new JsonObject() };
        lock (_gate) _outputs.Add(output);
        return output;
    }

    public void AddResult(JsonObject data, int executionCount)
    {
        var output = new JsonObject
        {
            ["output_type"] = "execute_result", ["data"] = data, ["execution_count"] = executionCount, ["metadata"] = new JsonObject(),
        };
        lock (_gate) _outputs.Add(output);
    }

    public void AddError(string name, string message, IEnumerable<string> traceback)
    {
        var tb = new JsonArray();
        foreach (var line in traceback) tb.Add(line);
        lock (_gate) _outputs.Add(new JsonObject { ["output_type"] = "error", ["ename"] = name, ["evalue"] = message, ["traceback"] = tb });
    }

    /// <summary>Writes the buffered stream text into the JSON (as nbformat's list of lines).</summary>
    public void Flush()
    {
        lock (_gate)
            foreach (var (output, text) in _streams) output["text"] = NbText.ToLines(text.ToString());
    }

    public IReadOnlyList<JsonObject> Snapshot()
    {
        lock (_gate) { Flush(); return _outputs.OfType<JsonObject>().ToList(); }
    }
}

/// <summary>Console.Out / Console.Error while a notebook runs: text goes to the running cell's stream outputs.</summary>
sealed class CellStreamWriter : TextWriter
{
    readonly string _name;
    readonly Func<CellOutputs?> _target;
    readonly TextWriter _fallback;

    public CellStreamWriter(string name, Func<CellOutputs?> target, TextWriter fallback)
    {
        _name = name;
        _target = target;
        _fallback = fallback;
    }

    public override Encoding Encoding => Encoding.UTF8;
    public override void Write(char value) => Write(value.ToString());
    public override void Write(string? value)
    {
        if (value is null) return;
        if (_target() is { } outputs) outputs.AppendStream(_name, value);
        else _fallback.Write(value);
    }
    public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));
    public override void WriteLine(string? value) => Write(value + "\n");
    public override void WriteLine() => Write("\n");
}
