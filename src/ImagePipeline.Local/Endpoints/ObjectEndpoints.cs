using System.Text.Json;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Events;
using ImagePipeline.Core.Storage;
using ImagePipeline.Http;
using ImagePipeline.Local.Pipeline;
using ImagePipeline.Local.Storage;
using Microsoft.AspNetCore.Http.Features;

namespace ImagePipeline.Local.Endpoints;

/// <summary>
/// The local stand-in for S3's presigned URLs under <c>/objects/</c>: the signature, expiry, content type, length and
/// write-once rule are enforced as S3 would, and an accepted original is announced to both stages through the outbox.
/// </summary>
internal static partial class ObjectEndpoints
{
    public const string OriginalsBucketName = "local-originals";
    private static readonly Stage[] BothStages = [Stage.Resize, Stage.Thumbnail];

    public static async Task PutAsync(HttpContext context, UrlSigner signer, FileObjectStore store, Outbox outbox, TimeProvider clock, ILogger<FileObjectStore> logger)
    {
        var request = context.Request;
        var check = signer.Verify(request.Method, request.Path.Value ?? "", request.QueryString.Value);
        if (!check.IsValid || check.Bucket != Bucket.Originals || check.Key is null || check.ContentLength is not { } length || check.ContentType is null)
        {
            await ProblemAsync(context, ProblemTypes.Forbidden, 403, "Upload URL not valid", $"The upload URL is not valid ({check.Status}). Ask POST /v1/uploads for a new one.").ConfigureAwait(false);
            return;
        }

        if (!string.Equals(request.ContentType, check.ContentType, StringComparison.OrdinalIgnoreCase))
        {
            await ProblemAsync(context, ProblemTypes.Forbidden, 403, "Upload URL not valid", $"Content-Type must be '{check.ContentType}', as signed; got '{request.ContentType}'.").ConfigureAwait(false);
            return;
        }

        if (request.ContentLength != length)
        {
            await ProblemAsync(context, ProblemTypes.InvalidRequest, 400, "Invalid upload", $"Content-Length must be {length}, as signed; got {request.ContentLength?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}.").ConfigureAwait(false);
            return;
        }

        if (request.Headers.IfNoneMatch.ToString() != "*")
        {
            await ProblemAsync(context, ProblemTypes.InvalidRequest, 400, "Invalid upload", "The upload must carry 'If-None-Match: *' (originals are written once).").ConfigureAwait(false);
            return;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = length;
        }

        // The event is staged in the outbox before the object becomes visible, so an accepted upload always has its
        // events: queued just below, or by the recovery if the process dies in between.
        string? body = null;
        PutResult result;
        try
        {
            result = await store.PutOriginalAsync(
                check.Key, request.Body, length, check.ContentType, context.RequestAborted,
                async (etag, token) =>
                {
                    var created = new ObjectCreated(OriginalsBucketName, check.Key, length, etag, clock.GetUtcNow().ToUnixTimeMilliseconds().ToString("X16", System.Globalization.CultureInfo.InvariantCulture));
                    body = S3EventParser.Serialize(created, clock.GetUtcNow());
                    await outbox.StageAsync(check.Key, body, token).ConfigureAwait(false);
                }).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Nothing was stored: the client may retry the same URL.
            LogStageFailed(logger, e, check.Key);
            context.Response.Headers.RetryAfter = "1";
            await ProblemAsync(context, ProblemTypes.Unavailable, 503, "Service Unavailable", "The upload could not be queued for processing; nothing was stored. Retry shortly.").ConfigureAwait(false);
            return;
        }

        switch (result.Status)
        {
            case PutStatus.AlreadyExists:
                await ProblemAsync(context, ProblemTypes.AlreadyUploaded, 412, "Already uploaded", "An original was already uploaded for this image; originals are written once.").ConfigureAwait(false);
                return;
            case PutStatus.TooShort or PutStatus.TooLong:
                await ProblemAsync(context, ProblemTypes.InvalidRequest, 400, "Invalid upload", $"The body did not have the signed length of {length} bytes.").ConfigureAwait(false);
                return;
        }

        // The object is durable and visible; now announce it, exactly as S3 → SNS → SQS would.
        try
        {
            await outbox.ActivateAsync(check.Key, body!, BothStages, CancellationToken.None).ConfigureAwait(false);
            LogAccepted(logger, check.Key, length, result.ETag!);
        }
        catch (Exception e)
        {
            // The upload itself succeeded and is durable (as an S3 PUT would be); its staged events are queued by the
            // periodic recovery, so the client must not be told to retry into a write-once 412.
            LogEnqueueFailed(logger, e, check.Key);
        }

        context.Response.StatusCode = 200;
        context.Response.Headers.ETag = $"\"{result.ETag}\"";
    }

    public static async Task GetAsync(HttpContext context, UrlSigner signer, FileObjectStore store)
    {
        var request = context.Request;
        var check = signer.Verify("GET", request.Path.Value ?? "", request.QueryString.Value);
        if (!check.IsValid || check.Key is null)
        {
            await ProblemAsync(context, ProblemTypes.Forbidden, 403, "Download URL not valid", $"The download URL is not valid ({check.Status}).").ConfigureAwait(false);
            return;
        }

        await using var stored = await store.OpenAsync(check.Bucket, check.Key, context.RequestAborted).ConfigureAwait(false);
        if (stored is null)
        {
            await ProblemAsync(context, ProblemTypes.NotFound, 404, "Object not found", "The object does not exist (any more).").ConfigureAwait(false);
            return;
        }

        var response = context.Response;
        response.ContentType = stored.ContentType;
        response.ContentLength = stored.Length;
        response.Headers.ETag = $"\"{stored.ETag}\"";
        response.Headers.CacheControl = "private, max-age=900";
        response.Headers.XContentTypeOptions = "nosniff";
        if (check.FileName is { } fileName)
        {
            response.Headers.ContentDisposition = ContentDisposition.For(fileName);
        }

        if (!HttpMethods.IsHead(request.Method))
        {
            await stored.Content.CopyToAsync(response.Body, context.RequestAborted).ConfigureAwait(false);
        }
    }

    private static async Task ProblemAsync(HttpContext context, string type, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = ApiResponse.ProblemMediaType;
        await context.Response.WriteAsync(JsonSerializer.Serialize(new ApiProblem(type, title, status, detail), ApiJson.Context.ApiProblem), context.RequestAborted).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not stage the events of upload {Key}; nothing was stored")]
    private static partial void LogStageFailed(ILogger logger, Exception exception, string key);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stored original {Key} but could not queue its events; recovery will queue them")]
    private static partial void LogEnqueueFailed(ILogger logger, Exception exception, string key);

    [LoggerMessage(Level = LogLevel.Information, Message = "Accepted original {Key}: {Bytes} bytes, etag {ETag}")]
    private static partial void LogAccepted(ILogger logger, string key, long bytes, string etag);
}
