using Microsoft.AspNetCore.Http;

namespace CourseKit.Serving;

/// <summary>Reads a request body into memory, refusing (413) one larger than the limit before reading it all.</summary>
static class RequestBody
{
    public static async Task<ReadOnlyMemory<byte>> ReadAsync(HttpRequest request, int maxBytes, CancellationToken cancel)
    {
        if (request.ContentLength > maxBytes)
            throw new ServingRequestException(413, $"body of {request.ContentLength} bytes; at most {maxBytes}");
        using var buffer = new MemoryStream(request.ContentLength is > 0 and var n ? (int)n : 1024);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancel)) > 0)
        {
            if (buffer.Length + read > maxBytes) throw new ServingRequestException(413, $"body larger than {maxBytes} bytes");
            buffer.Write(chunk, 0, read);
        }
        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }
}
