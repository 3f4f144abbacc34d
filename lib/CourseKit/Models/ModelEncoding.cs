using System.Globalization;
using System.Text;
using System.Text.Json;

namespace CourseKit.Models;

/// <summary>BertModel's output for one input (<see cref="ModelInspection.Encode(ModelFolder, long[], long[])"/>):
/// the ids, their tokens when known, last_hidden_state [T, H] and pooler_output [H] (null without pooler weights).</summary>
public sealed record ModelEncoding(
    string Directory,
    int LoadedTensors,
    long[] InputIds,
    long[] TokenTypeIds,
    string[]? Tokens,
    float[,] LastHiddenState,
    float[]? PoolerOutput)
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    const int ShownTokens = 16, ShownValues = 4;

    public override string ToString() => ToText();

    /// <summary>Ids, tokens, output shapes and the first few values per token (what <c>course model encode</c> prints).</summary>
    public string ToText() => Reporting.TextCapture.Of(WriteText);

    public void WriteText(TextWriter out_)
    {
        int T = LastHiddenState.GetLength(0), H = LastHiddenState.GetLength(1);
        out_.WriteLine($"model          {Directory} (BertModel, eval mode; {LoadedTensors} tensors loaded)");
        out_.WriteLine($"input_ids      [{string.Join(", ", InputIds)}]");
        if (Tokens is not null) out_.WriteLine($"tokens         [{string.Join(", ", Tokens)}]");
        if (TokenTypeIds.Any(t => t != 0)) out_.WriteLine($"token_type_ids [{string.Join(", ", TokenTypeIds)}]");
        out_.WriteLine($"last_hidden_state [1, {T}, {H}]; first {Math.Min(ShownValues, H)} values per token:");
        for (int i = 0; i < Math.Min(T, ShownTokens); i++)
            out_.WriteLine($"  {i,3} {(Tokens?[i] ?? InputIds[i].ToString(Inv)),-14} {string.Join("  ", Enumerable.Range(0, Math.Min(ShownValues, H)).Select(j => Signed(LastHiddenState[i, j])))}");
        if (T > ShownTokens) out_.WriteLine($"  ... {T - ShownTokens} more tokens");
        out_.WriteLine(PoolerOutput is null
            ? "pooler_output  none (the checkpoint has no pooler weights)"
            : $"pooler_output  [1, {PoolerOutput.Length}]; first values {string.Join("  ", PoolerOutput.Take(ShownValues).Select(Signed))}");
    }

    static string Signed(float v) => v.ToString("+0.0000;-0.0000", Inv);

    /// <summary>input_ids, token_type_ids, tokens, last_hidden_state [tokens][hidden] and pooler_output, compact, with
    /// one line per token so the file stays readable and diff-able without a JSON viewer.</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false }))
        {
            w.WriteStartObject();
            WriteArray(w, "input_ids", InputIds, w.WriteNumberValue);
            WriteArray(w, "token_type_ids", TokenTypeIds, w.WriteNumberValue);
            WriteArray(w, "tokens", Tokens, w.WriteStringValue);
            w.WriteStartArray("last_hidden_state");
            for (int i = 0; i < LastHiddenState.GetLength(0); i++)
            {
                w.WriteStartArray();
                for (int j = 0; j < LastHiddenState.GetLength(1); j++) w.WriteNumberValue(LastHiddenState[i, j]);
                w.WriteEndArray();
            }
            w.WriteEndArray();
            WriteArray(w, "pooler_output", PoolerOutput, w.WriteNumberValue);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()).Replace("],[", "],\n[") + "\n";
    }

    /// <summary>A named array, or null when there are no values.</summary>
    static void WriteArray<T>(Utf8JsonWriter w, string name, IEnumerable<T>? values, Action<T> writeValue)
    {
        if (values is null)
        {
            w.WriteNull(name);
            return;
        }
        w.WriteStartArray(name);
        foreach (var v in values) writeValue(v);
        w.WriteEndArray();
    }
}
