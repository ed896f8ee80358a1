using System.Text;
using ImagePipeline.Functions.Events;
using ImagePipeline.Http;

namespace ImagePipeline.Functions.Handlers;

/// <summary>Between API Gateway's payload format 2.0 (and function URLs, which use it too) and Http's request/response.</summary>
internal static class HttpApiMapping
{
    /// <summary>
    /// The <see cref="ApiRequest"/> for an event, or null with a 400 <paramref name="rejection"/> when the body claims
    /// base64 but is not. The path is <c>rawPath</c> as sent (the router never decodes it), the query the raw query
    /// string, and cookies, which payload 2.0 moves out of the headers, become one <c>Cookie</c> header again.
    /// </summary>
    public static ApiRequest? ToApiRequest(HttpApiRequest request, out ApiResponse? rejection)
    {
        ArgumentNullException.ThrowIfNull(request);
        var method = request.RequestContext?.Http?.Method
            ?? throw new InvalidDataException("The event has no requestContext.http.method: not an HTTP API payload 2.0 request.");
        var path = request.RawPath ?? request.RequestContext.Http.Path ?? "/";

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in request.Headers ?? ApiRequest.None)
        {
            // API Gateway already joins repeated headers with commas; names differing only in case are joined the same way.
            headers[name] = headers.TryGetValue(name, out var earlier) ? earlier + "," + value : value;
        }

        if (request.Cookies is { Count: > 0 } cookies)
        {
            headers["Cookie"] = string.Join("; ", cookies);
        }

        if (!TryReadBody(request, out var body))
        {
            rejection = ApiResponse.Problem(new ApiProblem(ProblemTypes.InvalidRequest, "Bad Request", 400, "The request body is not valid base64."));
            return null;
        }

        rejection = null;
        return new ApiRequest(method, path, ApiRequest.ParseQuery(request.RawQueryString), headers, body)
        {
            // Only what the gateway's JWT authorizer validated; never a header a caller could have written.
            CallerSubject = request.RequestContext.Authorizer?.Jwt?.Claims is { } claims
                && claims.TryGetValue("sub", out var sub) && sub.ValueKind == System.Text.Json.JsonValueKind.String
                && sub.GetString() is { Length: > 0 } subject
                    ? subject
                    : null,
        };
    }

    /// <summary>
    /// The payload 2.0 response: status, headers, cookies (from <c>Set-Cookie</c>), and the body as text when it is
    /// JSON or text, else base64 with <c>isBase64Encoded</c>.
    /// </summary>
    public static HttpApiResponse ToHttpApiResponse(ApiResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        List<string>? cookies = null;
        foreach (var (name, value) in response.Headers)
        {
            if (name.Equals("Set-Cookie", StringComparison.OrdinalIgnoreCase))
            {
                (cookies ??= []).Add(value);
            }
            else
            {
                headers[name] = value;
            }
        }

        if (response.Body.IsEmpty)
        {
            return new HttpApiResponse(response.Status, headers, cookies, "", false);
        }

        return IsText(response.ContentType)
            ? new HttpApiResponse(response.Status, headers, cookies, Encoding.UTF8.GetString(response.Body.Span), false)
            : new HttpApiResponse(response.Status, headers, cookies, Convert.ToBase64String(response.Body.Span), true);
    }

    /// <summary>Whether a media type is sent as text (JSON, problem+json, text/*, XML); everything else is binary.</summary>
    public static bool IsText(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return false;
        }

        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        var media = (semicolon < 0 ? contentType : contentType[..semicolon]).Trim().ToLowerInvariant();
        return media.StartsWith("text/", StringComparison.Ordinal)
            || media is "application/json" or "application/xml" or "application/javascript"
            || media.EndsWith("+json", StringComparison.Ordinal)
            || media.EndsWith("+xml", StringComparison.Ordinal);
    }

    // The router only needs MaxRequestBodyBytes + 1 bytes to answer 413, so a larger body is cut there.
    private static bool TryReadBody(HttpApiRequest request, out ReadOnlyMemory<byte> body)
    {
        const int Cap = ImageApi.MaxRequestBodyBytes + 1;
        if (string.IsNullOrEmpty(request.Body))
        {
            body = ReadOnlyMemory<byte>.Empty;
            return true;
        }

        if (!request.IsBase64Encoded)
        {
            var bytes = Encoding.UTF8.GetBytes(request.Body);
            body = bytes.AsMemory(0, Math.Min(bytes.Length, Cap));
            return true;
        }

        var buffer = new byte[(request.Body.Length / 4 * 3) + 3];
        if (!Convert.TryFromBase64String(request.Body, buffer, out var written))
        {
            body = ReadOnlyMemory<byte>.Empty;
            return false;
        }

        body = buffer.AsMemory(0, Math.Min(written, Cap));
        return true;
    }
}
