using System.Text;
using System.Text.Json;

namespace CourseKit.Serving;

/// <summary>
/// Turns a request body into inputs or a 4xx with a message. Every way a body can be wrong is decided here, before
/// the model sees anything: not UTF-8 (400), not JSON (400), JSON of the wrong shape or types (422), an empty text
/// (422), a text or a list longer than the limits (413).
/// </summary>
public static class RequestParser
{
    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    public static ParsedRequest Parse(ReadOnlySpan<byte> body, ServingTask task, ServingOptions limits)
    {
        if (body.StartsWith(Utf8Bom)) body = body[Utf8Bom.Length..];       // some Windows tools write one
        if (body.Length == 0) throw new ServingRequestException(400, "empty body: send a JSON object");
        try { StrictUtf8.GetCharCount(body); }
        catch (DecoderFallbackException e) { throw new ServingRequestException(400, $"body is not valid UTF-8 (byte {e.Index})"); }
        JsonDocument document;
        try { document = JsonDocument.Parse(body.ToArray(), new JsonDocumentOptions { MaxDepth = 16 }); }
        catch (JsonException e) { throw new ServingRequestException(400, $"body is not valid JSON: {e.Message}"); }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new ServingRequestException(422, $"expected a JSON object, got {Kind(root)}");
            try { return task == ServingTask.Qa ? ParseQuestion(root, limits) : ParseTexts(root, task, limits); }
            catch (Exception e) when (e is not ServingRequestException)
            {
                // Whatever else a body can do to the reader is still the body's fault: a 400, never a 500.
                throw new ServingRequestException(400, $"could not read the request: {e.Message}");
            }
        }
    }

    static ParsedRequest ParseTexts(JsonElement root, ServingTask task, ServingOptions limits)
    {
        bool hasText = root.TryGetProperty("text", out var text), hasTexts = root.TryGetProperty("texts", out var texts);
        if (hasText == hasTexts)
            throw new ServingRequestException(422, $"send exactly one of \"text\" (a string) or \"texts\" (an array of strings) to /{ServingNames.Name(task)}");
        if (hasText) return new ParsedRequest([new ServingInput(ReadText(text, "text", limits))], Single: true);
        if (texts.ValueKind != JsonValueKind.Array)
            throw new ServingRequestException(422, $"\"texts\" must be an array of strings, got {Kind(texts)}");
        int count = texts.GetArrayLength();
        if (count == 0) throw new ServingRequestException(422, "\"texts\" is empty");
        if (count > limits.MaxTextsPerRequest)
            throw new ServingRequestException(413, $"\"texts\" has {count} entries; at most {limits.MaxTextsPerRequest} per request");
        var inputs = new ServingInput[count];
        int i = 0;
        foreach (var item in texts.EnumerateArray())
        {
            inputs[i] = new ServingInput(ReadText(item, $"texts[{i}]", limits));
            i++;
        }
        return new ParsedRequest(inputs, Single: false);
    }

    static ParsedRequest ParseQuestion(JsonElement root, ServingOptions limits)
    {
        if (!root.TryGetProperty("question", out var question) || !root.TryGetProperty("context", out var context))
            throw new ServingRequestException(422, "send {\"question\": \"...\", \"context\": \"...\"} to /qa");
        return new ParsedRequest([new ServingInput(ReadText(context, "context", limits), ReadText(question, "question", limits))], Single: true);
    }

    static string ReadText(JsonElement value, string name, ServingOptions limits)
    {
        if (value.ValueKind != JsonValueKind.String)
            throw new ServingRequestException(422, $"\"{name}\" must be a string, got {Kind(value)}");
        string text;
        try { text = value.GetString()!; }
        catch (InvalidOperationException e) { throw new ServingRequestException(422, $"\"{name}\" is not text: {e.Message}"); }   // e.g. a lone surrogate escape
        if (string.IsNullOrWhiteSpace(text)) throw new ServingRequestException(422, $"\"{name}\" is empty");
        if (text.Length > limits.MaxTextChars)
            throw new ServingRequestException(413, $"\"{name}\" has {text.Length} characters; at most {limits.MaxTextChars}");
        // Lone surrogates (an escaped "\ud800") are valid JSON but not text a tokenizer can take.
        if (HasLoneSurrogate(text)) throw new ServingRequestException(422, $"\"{name}\" holds an unpaired UTF-16 surrogate");
        return text;
    }

    static bool HasLoneSurrogate(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            if (char.IsSurrogate(text[i])) return true;
        }
        return false;
    }

    static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object", JsonValueKind.Array => "an array", JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number", JsonValueKind.True or JsonValueKind.False => "a boolean", _ => "null",
    };
}
