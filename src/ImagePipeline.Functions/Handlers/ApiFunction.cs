using System.Diagnostics;
using System.Text.Json;
using ImagePipeline.Functions.Events;
using ImagePipeline.Functions.Observability;
using ImagePipeline.Functions.Runtime;
using ImagePipeline.Http;

namespace ImagePipeline.Functions.Handlers;

/// <summary>
/// The api function: an HTTP API (or function URL) payload 2.0 event through Http's <see cref="ImageApi"/> under
/// <c>/v1</c>, and the web page (<see cref="StaticPage"/>) everywhere else when the package carries it.
/// </summary>
internal sealed class ApiFunction(ImageApi api, StaticPage? page, JsonLogger log, MetricsWriter metrics) : IFunctionHandler
{
    public async Task<byte[]> HandleAsync(ReadOnlyMemory<byte> payload, InvocationContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var request = JsonSerializer.Deserialize(payload.Span, FunctionJsonContext.Default.HttpApiRequest)
            ?? throw new InvalidDataException("The event is not an HTTP API request (null).");
        if (request.Version != "2.0")
        {
            // Payload 1.0 (REST APIs) has another shape: a wiring mistake to fix in the stack, not a request to answer.
            throw new InvalidDataException($"The event has payload format version '{request.Version}'; the api function needs 2.0 (HTTP API or function URL).");
        }

        var apiRequest = HttpApiMapping.ToApiRequest(request, out var rejection);
        var response = apiRequest is null ? rejection!
            : page is not null && !StaticPage.IsApiPath(apiRequest.Path) ? page.Handle(apiRequest)
            : await api.HandleAsync(apiRequest, context.CancellationToken).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        log.Information(
            "{Method} {Path} answered {Status} in {ElapsedMs:0.0} ms",
            request.RequestContext?.Http?.Method, request.RawPath, response.Status, elapsed.TotalMilliseconds);
        metrics.Emit(
            [new Metric("ApiRequests", "Count", 1), new Metric("ApiLatency", "Milliseconds", elapsed.TotalMilliseconds)],
            properties: [new("Status", response.Status.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        return JsonSerializer.SerializeToUtf8Bytes(HttpApiMapping.ToHttpApiResponse(response), FunctionJsonContext.Default.HttpApiResponse);
    }
}
