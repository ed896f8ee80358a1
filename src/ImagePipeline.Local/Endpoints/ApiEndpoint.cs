using ImagePipeline.Http;

namespace ImagePipeline.Local.Endpoints;

/// <summary>Adapts Kestrel requests under <c>/v1</c> to the shared <see cref="ImageApi"/>: the same routing the Lambda uses.</summary>
internal static class ApiEndpoint
{
    public static async Task HandleAsync(HttpContext context, ImageApi api)
    {
        var request = context.Request;
        var body = await ReadCappedAsync(request.Body, ImageApi.MaxRequestBodyBytes + 1, context.RequestAborted).ConfigureAwait(false);
        var headers = request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var apiRequest = new ApiRequest(request.Method, request.Path.Value ?? "/", ApiRequest.ParseQuery(request.QueryString.Value), headers, body)
        {
            CallerSubject = LocalSignIn.CallerOf(context),
        };

        var response = await api.HandleAsync(apiRequest, context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = response.Status;
        foreach (var (name, value) in response.Headers)
        {
            context.Response.Headers[name] = value;
        }

        if (response.Body.Length > 0)
        {
            context.Response.ContentLength = response.Body.Length;
            await context.Response.Body.WriteAsync(response.Body, context.RequestAborted).ConfigureAwait(false);
        }
    }

    // The API's bodies are small JSON documents: read at most cap bytes, so an oversized body costs nothing and the
    // router can answer 413 on seeing cap bytes.
    private static async Task<ReadOnlyMemory<byte>> ReadCappedAsync(Stream body, int cap, CancellationToken cancellationToken)
    {
        var buffer = new byte[cap];
        var length = 0;
        int read;
        while (length < cap && (read = await body.ReadAsync(buffer.AsMemory(length, cap - length), cancellationToken).ConfigureAwait(false)) > 0)
        {
            length += read;
        }

        return buffer.AsMemory(0, length);
    }
}
