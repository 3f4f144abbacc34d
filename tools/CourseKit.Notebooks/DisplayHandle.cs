using System.Text.Json.Nodes;

namespace CourseKit.Notebooks;

/// <summary>What display() returns, like .NET Interactive's DisplayedValue: Update replaces that output in place
/// (Jupyter's update_display_data), even from a later cell.</summary>
public sealed class DisplayHandle
{
    readonly JsonObject _output;
    readonly string[] _mimeTypes;
    readonly Action<JsonObject>? _onUpdate;

    /// <summary><paramref name="onUpdate"/> sees each updated bundle (an exported app echoes it on the console).</summary>
    internal DisplayHandle(JsonObject output, string[] mimeTypes, Action<JsonObject>? onUpdate = null)
    {
        _output = output;
        _mimeTypes = mimeTypes;
        _onUpdate = onUpdate;
        DisplayId = Guid.NewGuid().ToString("N");
    }

    public string DisplayId { get; }

    public void Update(object? value)
    {
        var data = DisplayFormatter.Format(value, _mimeTypes);
        lock (_output) _output["data"] = data;
        _onUpdate?.Invoke(data);
    }
}
