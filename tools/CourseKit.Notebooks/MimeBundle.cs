namespace CourseKit.Notebooks;

/// <summary>Content already rendered per MIME type; <see cref="DisplayFormatter"/> passes it through unchanged.</summary>
public sealed record MimeBundle(IReadOnlyDictionary<string, string> Data);
