namespace CourseKit.Serving;

/// <summary>One input of a forward pass: a text, or for QA a question and its context.</summary>
public sealed record ServingInput(string Text, string? Question = null);

/// <summary>A request the service refuses, with the status and the message the client gets.</summary>
public sealed class ServingRequestException(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}

/// <summary>A parsed request: its inputs and whether the client sent one (<c>text</c>) or many (<c>texts</c>).</summary>
public sealed record ParsedRequest(IReadOnlyList<ServingInput> Inputs, bool Single);
