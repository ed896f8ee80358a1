using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace ImagePipeline.Emulators;

/// <summary>
/// A small HTTP front for s3rver that makes it behave like S3 where the pipeline depends on it: it decodes
/// <c>aws-chunked</c> request bodies (SDK v4 streams PutObject that way over plain http, and s3rver would store the
/// chunk framing as the object), answers 412 to a PUT with <c>If-None-Match: *</c> when the key exists (write-once
/// originals), and answers 412 to a GET whose <c>If-Match</c> does not match the object's entity tag. Everything else
/// is passed through untouched. Path-style addressing only.
/// </summary>
public sealed class S3Front : IAsyncDisposable
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Expect", "Proxy-Connection", "Upgrade", "TE", "Trailer",
    };

    private static readonly HashSet<string> ContentHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Content-Type", "Content-MD5", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires", "Content-Range",
    };

    private readonly Uri _backend;
    private readonly HttpClient _http;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _keyLocks = new(StringComparer.Ordinal);
    private LoopbackHttpServer? _server;

    private S3Front(Uri backend)
    {
        _backend = backend;
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, AutomaticDecompression = DecompressionMethods.None })
        {
            Timeout = TimeSpan.FromMinutes(2),
        };
    }

    /// <summary>Where clients send S3 requests: <c>http://127.0.0.1:{port}/</c>.</summary>
    public Uri Endpoint => _server!.Endpoint;

    /// <summary>Starts a front on a free loopback port, forwarding to <paramref name="backend"/>.</summary>
    public static S3Front Start(Uri backend)
    {
        var front = new S3Front(backend);
        front._server = LoopbackHttpServer.Start(front.HandleAsync);
        return front;
    }

    /// <summary>Decodes an <c>aws-chunked</c> body (SigV4 streaming, signed or not, with or without trailers).</summary>
    public static byte[] DecodeAwsChunked(ReadOnlySpan<byte> body)
    {
        using var output = new MemoryStream(body.Length);
        var position = 0;
        while (true)
        {
            var lineEnd = body[position..].IndexOf("\r\n"u8);
            if (lineEnd < 0)
            {
                throw new FormatException("aws-chunked body: chunk header without CRLF.");
            }

            var header = Encoding.ASCII.GetString(body.Slice(position, lineEnd));
            var sizeText = header.Split(';', 2)[0].Trim();
            var size = Convert.ToInt32(sizeText, 16);
            position += lineEnd + 2;
            if (size == 0)
            {
                // What follows is trailers (x-amz-checksum-*) and the final CRLF: not object content.
                return output.ToArray();
            }

            output.Write(body.Slice(position, size));
            position += size;
            if (!body[position..].StartsWith("\r\n"u8))
            {
                throw new FormatException("aws-chunked body: chunk data not followed by CRLF.");
            }

            position += 2;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }

        _http.Dispose();
    }

    private async Task HandleAsync(HttpListenerContext context, CancellationToken stopping)
    {
        var response = context.Response;
        try
        {
            await ForwardAsync(context.Request, response, stopping).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            try
            {
                await WriteErrorAsync(response, HttpStatusCode.BadGateway, "InternalError", "S3 front: " + e.Message).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The client went away; nothing left to tell it.
            }
        }
        finally
        {
            try
            {
                response.Close();
            }
            catch (Exception)
            {
                // Already closed or the connection is gone.
            }
        }
    }

    private async Task ForwardAsync(HttpListenerRequest request, HttpListenerResponse response, CancellationToken ct)
    {
        var body = await ReadBodyAsync(request, ct).ConfigureAwait(false);
        var headers = request.Headers.AllKeys
            .Where(k => k is not null && !HopByHop.Contains(k!))
            .ToDictionary(k => k!, k => request.Headers.GetValues(k!) ?? [], StringComparer.OrdinalIgnoreCase);

        if (IsAwsChunked(headers))
        {
            body = DecodeAwsChunked(body);
            headers.Remove("x-amz-decoded-content-length");
            headers.Remove("x-amz-trailer");
            headers["x-amz-content-sha256"] = ["UNSIGNED-PAYLOAD"];
            if (headers.TryGetValue("Content-Encoding", out var encodings))
            {
                var rest = encodings.SelectMany(v => v.Split(',')).Select(v => v.Trim())
                    .Where(v => v.Length > 0 && !v.Equals("aws-chunked", StringComparison.OrdinalIgnoreCase)).ToArray();
                if (rest.Length == 0)
                {
                    headers.Remove("Content-Encoding");
                }
                else
                {
                    headers["Content-Encoding"] = [string.Join(", ", rest)];
                }
            }
        }

        var rawUrl = request.RawUrl ?? "/";
        var path = rawUrl.Split('?', 2)[0];
        // Path-style: /bucket/key. Presigned PUTs carry their signature in the query, so the query does not matter.
        var isObjectPut = request.HttpMethod == "PUT" && path.TrimStart('/').Contains('/', StringComparison.Ordinal);
        if (isObjectPut && headers.TryGetValue("If-None-Match", out var noneMatch) && noneMatch.Any(v => v.Trim() == "*"))
        {
            headers.Remove("If-None-Match");
            // Hold the key while checking and writing, so two racing write-once PUTs cannot both succeed.
            var gate = _keyLocks.GetOrAdd(path, _ => new SemaphoreSlim(1, 1));
            await gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                using var head = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(_backend, path)), ct).ConfigureAwait(false);
                if (head.StatusCode == HttpStatusCode.OK)
                {
                    await WriteErrorAsync(response, HttpStatusCode.PreconditionFailed, "PreconditionFailed",
                        "At least one of the pre-conditions you specified did not hold", "If-None-Match").ConfigureAwait(false);
                    return;
                }

                await SendAsync(request.HttpMethod, rawUrl, headers, body, response, ifMatch: null, ct).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }

            return;
        }

        string[]? ifMatch = null;
        if (request.HttpMethod is "GET" or "HEAD" && headers.Remove("If-Match", out var match))
        {
            ifMatch = match.SelectMany(v => v.Split(',')).Select(v => v.Trim().Trim('"')).Where(v => v.Length > 0).ToArray();
        }

        await SendAsync(request.HttpMethod, rawUrl, headers, body, response, ifMatch, ct).ConfigureAwait(false);
    }

    private async Task SendAsync(
        string method, string rawUrl, Dictionary<string, string[]> headers, byte[] body, HttpListenerResponse response, string[]? ifMatch,
        CancellationToken ct)
    {
        using var message = new HttpRequestMessage(new HttpMethod(method), new Uri(_backend, rawUrl));
        if (body.Length > 0 || method is "PUT" or "POST")
        {
            message.Content = new ByteArrayContent(body);
        }

        foreach (var (name, values) in headers)
        {
            if (ContentHeaders.Contains(name))
            {
                message.Content ??= new ByteArrayContent([]);
                message.Content.Headers.TryAddWithoutValidation(name, values);
            }
            else
            {
                message.Headers.TryAddWithoutValidation(name, values);
            }
        }

        using var answer = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        if (ifMatch is not null && answer.StatusCode == HttpStatusCode.OK)
        {
            var etag = answer.Headers.ETag?.Tag.Trim('"') ?? string.Empty;
            if (!ifMatch.Contains("*") && !ifMatch.Contains(etag, StringComparer.Ordinal))
            {
                await WriteErrorAsync(response, HttpStatusCode.PreconditionFailed, "PreconditionFailed",
                    "At least one of the pre-conditions you specified did not hold", "If-Match").ConfigureAwait(false);
                return;
            }
        }

        response.StatusCode = (int)answer.StatusCode;
        foreach (var (name, values) in answer.Headers.Concat(answer.Content.Headers))
        {
            if (HopByHop.Contains(name))
            {
                continue;
            }

            foreach (var value in values)
            {
                response.AppendHeader(name, value);
            }
        }

        if (answer.Content.Headers.ContentLength is { } length)
        {
            response.ContentLength64 = length;
        }

        if (method != "HEAD")
        {
            await answer.Content.CopyToAsync(response.OutputStream, ct).ConfigureAwait(false);
        }
    }

    private static bool IsAwsChunked(Dictionary<string, string[]> headers) =>
        (headers.TryGetValue("x-amz-content-sha256", out var sha) && sha.Any(v => v.StartsWith("STREAMING-", StringComparison.Ordinal)))
        || (headers.TryGetValue("Content-Encoding", out var encoding) && encoding.Any(v => v.Contains("aws-chunked", StringComparison.OrdinalIgnoreCase)));

    private static async Task<byte[]> ReadBodyAsync(HttpListenerRequest request, CancellationToken ct)
    {
        if (!request.HasEntityBody)
        {
            return [];
        }

        using var buffer = new MemoryStream();
        await request.InputStream.CopyToAsync(buffer, ct).ConfigureAwait(false);
        return buffer.ToArray();
    }

    private static async Task WriteErrorAsync(HttpListenerResponse response, HttpStatusCode status, string code, string message, string? condition = null)
    {
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code><Message>" + SecurityElement(message) + "</Message>"
            + (condition is null ? string.Empty : "<Condition>" + condition + "</Condition>")
            + "<RequestId>s3-front</RequestId></Error>";
        var bytes = Encoding.UTF8.GetBytes(xml);
        response.StatusCode = (int)status;
        response.ContentType = "application/xml";
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
    }

    private static string SecurityElement(string text) => System.Security.SecurityElement.Escape(text) ?? string.Empty;
}
