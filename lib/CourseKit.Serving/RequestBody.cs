using Microsoft.AspNetCore.Http;

namespace CourseKit.Serving;

/// <summary>
/// Reads a request body into memory, refusing (413) one larger than the limit. The excess is read and dropped (up
/// to Kestrel's own cap, <see cref="DrainAllowance"/> above the limit) so the client, still sending, reads the 413
/// instead of a reset connection.
/// </summary>
static class RequestBody
{
    public const int DrainAllowance = 16 << 20;

    public static async Task<ReadOnlyMemory<byte>> ReadAsync(HttpRequest request, int maxBytes, CancellationToken cancel)
    {
        if (request.ContentLength > maxBytes)
        {
            await Drain(request, cancel);
            throw new ServingRequestException(413, $"body of {request.ContentLength} bytes; at most {maxBytes}");
        }
        using var buffer = new MemoryStream(request.ContentLength is > 0 and var n ? (int)n : 1024);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancel)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                await Drain(request, cancel);
                throw new ServingRequestException(413, $"body larger than {maxBytes} bytes");
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    static async Task Drain(HttpRequest request, CancellationToken cancel)
    {
        try { await request.Body.CopyToAsync(Stream.Null, cancel); }
        catch (BadHttpRequestException) { }          // past Kestrel's cap: the 413 goes out and the connection closes
    }
}
