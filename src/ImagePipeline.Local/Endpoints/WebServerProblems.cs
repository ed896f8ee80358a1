using System.Text.Json;
using ImagePipeline.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace ImagePipeline.Local.Endpoints;

/// <summary>
/// The outermost middleware: an error answered by the web server itself (a 404 or 405 of routing, a request body over
/// Kestrel's limit, a malformed request that reaches the pipeline) gets a problem+json body like every API error, and
/// an exception nobody handled is a logged 500 problem, not an empty response.
/// </summary>
internal static partial class WebServerProblems
{
    public static async Task HandleAsync(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            // e.g. a Content-Length over the body limit (413), a malformed chunked body (400): the client's fault.
            context.Response.Clear();
            await WriteAsync(context, e.StatusCode, ReasonPhrases.GetReasonPhrase(e.StatusCode), e.Message);
            return;
        }
        catch (Exception e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            LogUnhandled(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("ImagePipeline.Local"), e, context.Request.Method, context.Request.Path);
            context.Response.Clear();
            await WriteAsync(context, StatusCodes.Status500InternalServerError, "Internal Server Error", "The request failed on our side.");
            return;
        }

        var response = context.Response;
        if (response.StatusCode >= 400 && !response.HasStarted && response.ContentLength is null or 0 && string.IsNullOrEmpty(response.ContentType))
        {
            var detail = response.StatusCode switch
            {
                StatusCodes.Status404NotFound => $"No resource at '{Shorten(context.Request.Path.Value)}'.",
                StatusCodes.Status405MethodNotAllowed => $"{Shorten(context.Request.Method)} is not allowed here.",
                _ => ReasonPhrases.GetReasonPhrase(response.StatusCode),
            };
            await WriteAsync(context, response.StatusCode, ReasonPhrases.GetReasonPhrase(response.StatusCode), detail);
        }
    }

    public static async Task WriteAsync(HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = ApiResponse.ProblemMediaType;
        context.Response.Headers.CacheControl = "no-store";
        var body = JsonSerializer.SerializeToUtf8Bytes(new ApiProblem(ProblemTypes.ForStatus(status), title, status, detail), ApiJson.Context.ApiProblem);
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    private static string Shorten(string? text) => text is null ? "" : text.Length <= 100 ? text : string.Concat(text.AsSpan(0, 100), "…");

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error serving {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, string path);
}
