using System.Text;
using System.Text.Json;

namespace CourseKit.Serving;

/// <summary>A request the service must refuse with <see cref="ExpectedStatus"/>: its name (a class of bad input),
/// path and raw body bytes.</summary>
public sealed record BadRequest(string Name, string Path, byte[] Body, int ExpectedStatus);

/// <summary>
/// One request of every class of bad input a client can send (the load test mixes them into good traffic; the
/// tests send each once): bytes that are not UTF-8 or not JSON, JSON of the wrong shape or types, empty and
/// oversized texts, too many texts, a body over the limit, a lone surrogate, a question too long for a window,
/// another task's path.
/// </summary>
public static class BadRequests
{
    public static IReadOnlyList<BadRequest> For(ServingTask task, ServingOptions limits)
    {
        var path = ServingNames.Path(task);
        bool qa = task == ServingTask.Qa;
        byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
        string Json(object o) => JsonSerializer.Serialize(o);
        var longText = new string('a', limits.MaxTextChars + 1);
        var list = new List<BadRequest>
        {
            new("empty-body", path, [], 400),
            new("invalid-json", path, Utf8("{\"text\": \"unterminated"), 400),
            new("invalid-utf8", path, [.. Utf8("{\"text\": \"caf"), 0xC3, 0x28, .. Utf8("\"}")], 400),
            new("not-an-object", path, Utf8("[\"a list\"]"), 422),
            new("missing-field", path, Utf8("{}"), 422),
            new("wrong-type", path, Utf8(qa ? "{\"question\": 42, \"context\": \"text\"}" : "{\"text\": 42}"), 422),
            new("empty-text", path, Utf8(qa ? Json(new { question = "  ", context = "text" }) : Json(new { text = "   " })), 422),
            new("lone-surrogate", path, Utf8(qa ? "{\"question\": \"\\ud800?\", \"context\": \"text\"}" : "{\"text\": \"\\ud800\"}"), 422),
            new("oversized-text", path, Utf8(qa ? Json(new { question = "what?", context = longText }) : Json(new { text = longText })), 413),
            new("body-too-large", path, Utf8(Json(new { text = new string('b', limits.MaxBodyBytes) })), 413),
        };
        int questionWords = (limits.MaxTextChars - 1) / 4;
        if (qa && questionWords >= (limits.MaxSequenceLength ?? 512))
        {
            // Within the text limit, but more tokens than a window (BERT's at most 512) holds: no room for context.
            var longQuestion = string.Concat(Enumerable.Repeat("why ", questionWords));
            list.Add(new("question-too-long", path, Utf8(Json(new { question = longQuestion, context = "Ada wrote it." })), 413));
        }
        if (!qa)
        {
            list.Add(new("texts-not-array", path, Utf8("{\"texts\": \"one string\"}"), 422));
            list.Add(new("too-many-texts", path, Utf8(Json(new { texts = Enumerable.Repeat("hi", limits.MaxTextsPerRequest + 1) })), 413));
        }
        var other = Enum.GetValues<ServingTask>().First(t => t != task);
        list.Add(new("wrong-task", ServingNames.Path(other), Utf8(Json(new { text = "hello" })), 404));
        return list;
    }
}
