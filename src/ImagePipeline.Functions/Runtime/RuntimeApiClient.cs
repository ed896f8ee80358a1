using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImagePipeline.Functions.Runtime;

/// <summary>The body Lambda expects for init and invocation errors.</summary>
/// <param name="ErrorMessage">What went wrong, for people.</param>
/// <param name="ErrorType">A machine-readable kind (the exception's type name).</param>
/// <param name="StackTrace">Stack frames, one per element.</param>
internal sealed record RuntimeError(
    [property: JsonPropertyName("errorMessage")] string ErrorMessage,
    [property: JsonPropertyName("errorType")] string ErrorType,
    [property: JsonPropertyName("stackTrace")] IReadOnlyList<string> StackTrace)
{
    public static RuntimeError From(Exception exception) => new(
        exception.Message,
        exception.GetType().Name,
        (exception.StackTrace ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}

[JsonSerializable(typeof(RuntimeError))]
internal sealed partial class RuntimeJsonContext : JsonSerializerContext;

/// <summary>
/// The Lambda Runtime API (version 2018-06-01) over HTTP, at <c>AWS_LAMBDA_RUNTIME_API</c> (host:port):
/// <c>GET /runtime/invocation/next</c>, <c>POST /runtime/invocation/{id}/response|error</c> and
/// <c>POST /runtime/init/error</c>.
/// </summary>
internal sealed class RuntimeApiClient : IDisposable
{
    /// <summary>The header naming the kind of an init or invocation error.</summary>
    public const string ErrorTypeHeader = "Lambda-Runtime-Function-Error-Type";

    /// <summary>Error type of a configuration that cannot work (missing or invalid environment variable).</summary>
    public const string ConfigInvalid = "Runtime.ConfigInvalid";

    /// <summary>Error type of an exception the function did not handle.</summary>
    public const string Unhandled = "Function.Unhandled";

    private readonly HttpClient _http;

    public RuntimeApiClient(string hostAndPort)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(hostAndPort);
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false, UseCookies = false, AutomaticDecompression = DecompressionMethods.None })
        {
            BaseAddress = new Uri($"http://{hostAndPort}/2018-06-01/runtime/"),

            // The next-invocation call blocks while the environment is frozen between events: it must never time out.
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>Waits for the next event.</summary>
    public async Task<Invocation> NextAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync("invocation/next", HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, "invocation/next", cancellationToken).ConfigureAwait(false);
        var payload = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var requestId = Header(response, "Lambda-Runtime-Aws-Request-Id")
            ?? throw new InvalidDataException("The Runtime API sent an event without Lambda-Runtime-Aws-Request-Id.");
        var deadline = long.TryParse(Header(response, "Lambda-Runtime-Deadline-Ms"), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : throw new InvalidDataException("The Runtime API sent an event without a valid Lambda-Runtime-Deadline-Ms.");
        return new Invocation(requestId, deadline, Header(response, "Lambda-Runtime-Invoked-Function-Arn"), Header(response, "Lambda-Runtime-Trace-Id"), payload);
    }

    /// <summary>Posts the handler's result (JSON) for <paramref name="requestId"/>.</summary>
    public async Task RespondAsync(string requestId, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        using var content = new ReadOnlyMemoryContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var path = $"invocation/{Uri.EscapeDataString(requestId)}/response";
        using var response = await _http.PostAsync(path, content, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, path, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reports that the invocation <paramref name="requestId"/> failed.</summary>
    public Task ReportInvocationErrorAsync(string requestId, Exception error, CancellationToken cancellationToken) =>
        PostErrorAsync($"invocation/{Uri.EscapeDataString(requestId)}/error", Unhandled, RuntimeError.From(error), cancellationToken);

    /// <summary>Reports that the function could not start (Lambda then fails the invocation and restarts the environment).</summary>
    public Task ReportInitErrorAsync(string errorType, Exception error, CancellationToken cancellationToken) =>
        PostErrorAsync("init/error", errorType, RuntimeError.From(error), cancellationToken);

    public void Dispose() => _http.Dispose();

    private async Task PostErrorAsync(string path, string errorType, RuntimeError error, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(error, RuntimeJsonContext.Default.RuntimeError));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.TryAddWithoutValidation(ErrorTypeHeader, errorType);
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, path, cancellationToken).ConfigureAwait(false);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string path, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        throw new RuntimeApiException($"The Runtime API answered {(int)response.StatusCode} to {path}: {body}", (int)response.StatusCode);
    }
}

/// <summary>The Runtime API refused a call (e.g. 413 for a response over 6 MB, 410 for an expired invocation).</summary>
internal sealed class RuntimeApiException(string message, int status) : Exception(message)
{
    public int Status { get; } = status;
}
