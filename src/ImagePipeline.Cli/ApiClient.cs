using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using ImagePipeline.Cli.SignIn;

namespace ImagePipeline.Cli;

/// <summary>
/// The HTTP side of the client commands: one <see cref="HttpClient"/> (redirects not followed, timeouts set) for the
/// REST API v1 and the presigned object URLs it hands out. Error statuses become <see cref="ApiProblemException"/>
/// ("&lt;status&gt; &lt;title&gt;: &lt;detail&gt;"); failures to connect or to get an answer in time become
/// <see cref="ApiConnectionException"/>, whose message names the URL tried.
/// </summary>
internal sealed partial class ApiClient : IDisposable
{
    /// <summary>How long opening a TCP (and TLS) connection may take.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long one API call (request and whole JSON answer) may take.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long an upload or download may go without moving a byte before it is abandoned.</summary>
    public static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(60);

    // A 503 (storage throttled for a moment) or 429 is retried this many times, after Retry-After (capped).
    private const int ThrottleRetries = 2;
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);
    private const int BufferSize = 64 * 1024;

    private static readonly string UserAgent = "imagepipeline-cli/" +
        (typeof(ApiClient).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0");

    private readonly HttpClient _http;
    private readonly Uri _base;
    private readonly BearerTokens? _tokens;

    /// <param name="baseUrl">The API's base URL (<c>--api</c>).</param>
    /// <param name="signIn">
    /// Whether API requests carry <c>Authorization: Bearer …</c> (from <c>$IMAGEPIPELINE_TOKEN</c> or the tokens
    /// <c>login</c> saved for this API) when there is a token. Only API requests do: the presigned object URLs carry
    /// their own signature, may point at another host (S3), and never get the token.
    /// </param>
    public ApiClient(Uri baseUrl, bool signIn = true)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        var text = baseUrl.GetLeftPart(UriPartial.Path);
        _base = new Uri(text.EndsWith('/') ? text : text + "/");
        Display = text.TrimEnd('/');
        _tokens = signIn ? BearerTokens.For(Display) : null;
        _http = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectTimeout = ConnectTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        })
        {
            // Every call has its own deadline (RequestTimeout for API calls, StallTimeout while bytes move).
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>The API's base URL as shown in messages, e.g. <c>http://127.0.0.1:5080</c>.</summary>
    public string Display { get; }

    /// <summary><c>GET /v1/config</c>: how clients sign in (<see cref="ClientConfig.Auth"/> null: the API is anonymous).</summary>
    public async Task<ClientConfig> GetConfigAsync(CancellationToken cancellationToken)
    {
        var (config, _) = await SendJsonAsync(() => ApiRequest(HttpMethod.Get, "v1/config"), HttpStatusCode.OK, ApiJsonContext.Default.ClientConfig, cancellationToken)
            .ConfigureAwait(false);
        return config;
    }

    /// <summary><c>POST /v1/uploads</c>: records a pending image and returns the presigned PUT of its original.</summary>
    public async Task<UploadCreated> CreateUploadAsync(UploadRequest request, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(request, ApiJsonContext.Default.UploadRequest);
        var (created, _) = await SendJsonAsync(
            () =>
            {
                var message = ApiRequest(HttpMethod.Post, "v1/uploads");
                message.Content = new ByteArrayContent(body);
                message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                return message;
            },
            HttpStatusCode.Created,
            ApiJsonContext.Default.UploadCreated,
            cancellationToken).ConfigureAwait(false);
        return created;
    }

    /// <summary><c>GET /v1/images?limit&amp;cursor</c>: one page, parsed, and the answer's JSON text as received.</summary>
    public Task<(ImagePage Page, string Json)> ListAsync(int? limit, string? cursor, CancellationToken cancellationToken)
    {
        var query = new List<string>();
        if (limit is { } l)
        {
            query.Add("limit=" + l.ToString(CultureInfo.InvariantCulture));
        }

        if (cursor is not null)
        {
            query.Add("cursor=" + Uri.EscapeDataString(cursor));
        }

        var path = "v1/images" + (query.Count > 0 ? "?" + string.Join('&', query) : "");
        return SendJsonAsync(() => ApiRequest(HttpMethod.Get, path), HttpStatusCode.OK, ApiJsonContext.Default.ImagePage, cancellationToken);
    }

    /// <summary><c>GET /v1/images/{id}</c>: the detail, parsed, and the answer's JSON text as received.</summary>
    public Task<(ImageDetail Detail, string Json)> GetImageAsync(string id, CancellationToken cancellationToken) =>
        SendJsonAsync(() => ApiRequest(HttpMethod.Get, "v1/images/" + id), HttpStatusCode.OK, ApiJsonContext.Default.ImageDetail, cancellationToken);

    /// <summary>
    /// <c>POST /v1/images/{id}/reprocess</c> (body <c>{}</c>): the 202's detail (failed stages back to pending), else a
    /// problem (404 unknown, 409 nothing to reprocess, with the image's status).
    /// </summary>
    public async Task<ImageDetail> ReprocessAsync(string id, CancellationToken cancellationToken)
    {
        var (detail, _) = await SendJsonAsync(
            () =>
            {
                var message = ApiRequest(HttpMethod.Post, $"v1/images/{id}/reprocess");
                message.Content = new ByteArrayContent("{}"u8.ToArray());
                message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                return message;
            },
            HttpStatusCode.Accepted,
            ApiJsonContext.Default.ImageDetail,
            cancellationToken).ConfigureAwait(false);
        return detail;
    }

    /// <summary><c>DELETE /v1/images/{id}</c>: 204, else a problem.</summary>
    public async Task DeleteImageAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await SendApiAsync(() => ApiRequest(HttpMethod.Delete, "v1/images/" + id), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.NoContent)
        {
            throw await ProblemAsync(response, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// <c>GET /v1/images/{id}/{what}</c> (<c>thumbnail</c>, <c>original</c>, <c>renditions/w640</c>): the 302's
    /// <c>Location</c>, resolved to an absolute URL.
    /// </summary>
    public async Task<Uri> GetRedirectAsync(string id, string what, CancellationToken cancellationToken)
    {
        var path = $"v1/images/{id}/{what}";
        using var response = await SendApiAsync(() => ApiRequest(HttpMethod.Get, path), cancellationToken).ConfigureAwait(false);
        if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location)
        {
            return location.IsAbsoluteUri ? location : new Uri(new Uri(_base, path), location);
        }

        if (response.IsSuccessStatusCode)
        {
            throw new ApiConnectionException($"the ImagePipeline API at {Display} answered GET /{path} with {(int)response.StatusCode} instead of a redirect.");
        }

        throw await ProblemAsync(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Uploads <paramref name="path"/> as <paramref name="upload"/> says: its method and URL with exactly its headers,
    /// streaming the file and reporting the bytes sent so far to <paramref name="progress"/>.
    /// </summary>
    public async Task PutFileAsync(UploadInstructions upload, string path, long length, Action<long>? progress, CancellationToken cancellationToken)
    {
        var url = new Uri(upload.Url, UriKind.Absolute);
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stall.CancelAfter(StallTimeout);
        var content = new FileUploadContent(path, length, sent =>
        {
            stall.CancelAfter(StallTimeout);
            progress?.Invoke(sent);
        });
        using var request = new HttpRequestMessage(new HttpMethod(upload.Method), url) { Content = content };
        foreach (var (name, value) in upload.Headers)
        {
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var signed) || signed != length)
                {
                    throw new LocalFileException($"the upload URL expects {value} bytes but the file has {length}; did it change?");
                }

                content.Headers.ContentLength = signed;
            }
            else if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                content.Headers.Remove("Content-Type");
                content.Headers.TryAddWithoutValidation("Content-Type", value);
            }
            else if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, stall.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (FindInner<LocalFileException>(e) is { } local)
        {
            throw local;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ApiConnectionException($"the upload to {Origin(url)} stalled: nothing moved for {Seconds(StallTimeout)}.");
        }
        catch (HttpRequestException e)
        {
            throw new ApiConnectionException($"cannot reach the upload URL at {Origin(url)}: {Reason(e)}", e);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw await ProblemAsync(response, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Downloads <paramref name="url"/> (a presigned object URL): on success, opens the destination with the
    /// response's content headers (for the file name) and copies the body into it; returns the bytes written.
    /// </summary>
    public async Task<long> DownloadAsync(Uri url, Func<HttpContentHeaders, Stream> openDestination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(openDestination);
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stall.CancelAfter(StallTimeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stall.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw await ProblemAsync(response, cancellationToken).ConfigureAwait(false);
            }

            await using var source = await response.Content.ReadAsStreamAsync(stall.Token).ConfigureAwait(false);
            await using var destination = openDestination(response.Content.Headers);
            var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
            try
            {
                long total = 0;
                int read;
                while ((read = await source.ReadAsync(buffer, stall.Token).ConfigureAwait(false)) > 0)
                {
                    await destination.WriteAsync(buffer.AsMemory(0, read), stall.Token).ConfigureAwait(false);
                    total += read;
                    stall.CancelAfter(StallTimeout);
                }

                if (response.Content.Headers.ContentLength is { } expected && expected != total)
                {
                    throw new ApiConnectionException($"the download from {Origin(url)} ended after {total} of {expected} bytes.");
                }

                return total;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ApiConnectionException($"the download from {Origin(url)} stalled: nothing moved for {Seconds(StallTimeout)}.");
        }
        catch (HttpRequestException e)
        {
            throw new ApiConnectionException($"cannot reach the download URL at {Origin(url)}: {Reason(e)}", e);
        }
        catch (IOException e) when (e is HttpIOException || FindInner<SocketException>(e) is not null)
        {
            throw new ApiConnectionException($"the download from {Origin(url)} broke off: {Reason(e)}", e);
        }
    }

    public void Dispose() => _http.Dispose();

    private HttpRequestMessage ApiRequest(HttpMethod method, string relative)
    {
        var request = new HttpRequestMessage(method, new Uri(_base, relative));
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("application/problem+json");
        request.Headers.UserAgent.ParseAdd(UserAgent);
        return request;
    }

    private async Task<(T Value, string Json)> SendJsonAsync<T>(
        Func<HttpRequestMessage> create, HttpStatusCode expected, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using var response = await SendApiAsync(create, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != expected)
        {
            if (response.IsSuccessStatusCode)
            {
                throw new ApiConnectionException(
                    $"the ImagePipeline API at {Display} answered {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery} with {(int)response.StatusCode}, expected {(int)expected}; is --api the right URL?");
            }

            throw await ProblemAsync(response, cancellationToken).ConfigureAwait(false);
        }

        // SendApiAsync read the whole body (ResponseContentRead), so this takes no time.
        var json = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var value = JsonSerializer.Deserialize(json, type);
            if (value is not null)
            {
                return (value, json);
            }
        }
        catch (JsonException)
        {
        }

        throw new ApiConnectionException(
            $"the answer of {Display} to {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery} is not the ImagePipeline API's JSON; is --api the right URL?");
    }

    /// <summary>Sends an API request (whole answer read) within <see cref="RequestTimeout"/>, retrying 503 and 429 briefly.</summary>
    private async Task<HttpResponseMessage> SendApiAsync(Func<HttpRequestMessage> create, CancellationToken cancellationToken)
    {
        var renewed = false;
        for (var attempt = 0; ; attempt++)
        {
            using var request = create();
            var token = _tokens is null ? null : await _tokens.GetAsync(cancellationToken).ConfigureAwait(false);
            if (token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(RequestTimeout);
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new ApiConnectionException($"the ImagePipeline API at {Display} did not answer {request.Method} /{request.RequestUri?.PathAndQuery.TrimStart('/')} within {Seconds(RequestTimeout)}.");
            }
            catch (HttpRequestException e)
            {
                throw new ApiConnectionException($"cannot reach the ImagePipeline API at {Display}: {Reason(e)}", e);
            }

            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                // A token the API refused although it had not expired yet is renewed once (then the request is sent again).
                if (!renewed && _tokens is not null && await _tokens.RenewAfterRejectionAsync(token, cancellationToken).ConfigureAwait(false))
                {
                    renewed = true;
                    response.Dispose();
                    continue;
                }

                using (response)
                {
                    var reason = await UnauthorizedReasonAsync(response, cancellationToken).ConfigureAwait(false);
                    throw new ApiSignInException(_tokens?.RejectionMessage(reason) ?? $"the API at {Display} needs sign-in ({reason}): run imagepipeline login --api {Display}.");
                }
            }

            if (response.StatusCode is not (HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests) || attempt >= ThrottleRetries)
            {
                return response;
            }

            var delay = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
            response.Dispose();
            await Task.Delay(delay > MaxRetryDelay ? MaxRetryDelay : delay < TimeSpan.Zero ? TimeSpan.Zero : delay, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The problem detail of an error answer, from its JSON body, an S3 XML error, or the status alone.</summary>
    private static async Task<ApiProblemException> ProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        var title = response.ReasonPhrase is { Length: > 0 } phrase ? phrase : "Error";
        string body;
        try
        {
            body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            body = "";
        }

        var mediaType = response.Content.Headers.ContentType?.MediaType ?? "";
        if (mediaType.EndsWith("json", StringComparison.OrdinalIgnoreCase) || body.TrimStart().StartsWith('{'))
        {
            try
            {
                if (JsonSerializer.Deserialize(body, ApiJsonContext.Default.ApiProblem) is { } problem && (problem.Title is not null || problem.Detail is not null))
                {
                    return new ApiProblemException(status, problem.Title ?? title, problem.Detail, problem.ImageStatus);
                }
            }
            catch (JsonException)
            {
            }
        }

        // S3 answers presigned requests with <Error><Code>PreconditionFailed</Code><Message>…</Message></Error>.
        if (S3Code().Match(body) is { Success: true } code)
        {
            var message = S3Message().Match(body);
            return new ApiProblemException(status, WebUtility.HtmlDecode(code.Groups[1].Value), message.Success ? WebUtility.HtmlDecode(message.Groups[1].Value) : null, null);
        }

        var firstLine = body.Split('\n', 2)[0].Trim();
        return new ApiProblemException(status, title, firstLine.Length is > 0 and <= 200 && !firstLine.StartsWith('<') ? firstLine : null, null);
    }

    /// <summary>
    /// A 401 in a few words: <c>401 Unauthorized: &lt;detail&gt;</c> from the API's problem, or from the body an API
    /// gateway's authorizer answers with (<c>{"message":"Unauthorized"}</c>, which HTTP APIs cannot change).
    /// </summary>
    private static async Task<string> UnauthorizedReasonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string body;
        try
        {
            body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            body = "";
        }

        string? detail = null;
        if (body.TrimStart().StartsWith('{'))
        {
            try
            {
                using var json = JsonDocument.Parse(body);
                if (json.RootElement.ValueKind == JsonValueKind.Object)
                {
                    foreach (var name in new[] { "detail", "message", "title" })
                    {
                        if (json.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text)
                        {
                            detail = text;
                            break;
                        }
                    }
                }
            }
            catch (JsonException)
            {
            }
        }

        var reason = "401 Unauthorized";
        if (detail is not null && !detail.Equals("Unauthorized", StringComparison.OrdinalIgnoreCase))
        {
            reason += ": " + (detail.Length <= 300 ? detail : detail[..300] + "…").TrimEnd('.');
        }

        return ClientOptions.Clean(reason);
    }

    /// <summary>Why a request failed, in a few words: the socket's error ("Connection refused") where there is one.</summary>
    internal static string Reason(Exception e)
    {
        if (FindInner<SocketException>(e) is { } socket)
        {
            return socket.Message;
        }

        if (FindInner<System.Security.Authentication.AuthenticationException>(e) is { } tls)
        {
            return "TLS failed: " + tls.Message;
        }

        var innermost = e;
        while (innermost.InnerException is { } inner)
        {
            innermost = inner;
        }

        return innermost.Message;
    }

    private static T? FindInner<T>(Exception? e)
        where T : Exception
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T match)
            {
                return match;
            }
        }

        return null;
    }

    // A presigned URL's query carries its signature: messages name only scheme, host and port.
    private static string Origin(Uri url) => url.GetLeftPart(UriPartial.Authority);

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0", CultureInfo.InvariantCulture) + " s";

    [GeneratedRegex("<Code>([^<]{1,100})</Code>")]
    private static partial Regex S3Code();

    [GeneratedRegex("<Message>([^<]{1,500})</Message>")]
    private static partial Regex S3Message();

    /// <summary>A file streamed as a request body of a known length, reporting the bytes sent so far.</summary>
    private sealed class FileUploadContent(string path, long fileLength, Action<long> progress) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            FileStream file;
            try
            {
                file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new LocalFileException(e.Message, e);
            }

            var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
            try
            {
                await using (file.ConfigureAwait(false))
                {
                    long sent = 0;
                    while (sent < fileLength)
                    {
                        int read;
                        try
                        {
                            read = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, fileLength - sent)), cancellationToken).ConfigureAwait(false);
                        }
                        catch (IOException e)
                        {
                            throw new LocalFileException(e.Message, e);
                        }

                        if (read == 0)
                        {
                            throw new LocalFileException($"the file became shorter while it was uploaded ({sent} of {fileLength} bytes).");
                        }

                        await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                        sent += read;
                        progress(sent);
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = fileLength;
            return true;
        }
    }
}
