namespace ImagePipeline.Core.Services;

/// <summary>
/// Names of the environment variables that carry a deployment's configuration to the functions. The CDK stack sets
/// them and the function host reads them, both from here.
/// </summary>
public static class PipelineEnvironment
{
    /// <summary>Bucket of uploaded originals (<c>originals/…</c>).</summary>
    public const string OriginalsBucket = "IMAGEPIPELINE_ORIGINALS_BUCKET";

    /// <summary>Bucket of renditions and thumbnails.</summary>
    public const string DerivedBucket = "IMAGEPIPELINE_DERIVED_BUCKET";

    /// <summary>The images table.</summary>
    public const string Table = "IMAGEPIPELINE_TABLE";

    /// <summary>Secret that signs list cursors (base64, at least 32 bytes).</summary>
    public const string CursorKey = "IMAGEPIPELINE_CURSOR_KEY";

    /// <summary>Optional: <c>true</c> to return GPS positions from the API.</summary>
    public const string ExposeGps = "IMAGEPIPELINE_EXPOSE_GPS";

    /// <summary>Optional: receives before a transient failure is recorded as <c>internal</c> (the queues' maxReceiveCount).</summary>
    public const string MaxReceives = "IMAGEPIPELINE_MAX_RECEIVES";

    /// <summary>Optional: <c>true</c> for path-style S3 addressing (emulators, LocalStack).</summary>
    public const string S3PathStyle = "IMAGEPIPELINE_S3_PATH_STYLE";

    /// <summary>The api function's: URL of the resize stage's queue (reprocessing sends the original's event there).</summary>
    public const string ResizeQueueUrl = "IMAGEPIPELINE_RESIZE_QUEUE_URL";

    /// <summary>The api function's: URL of the thumbnail stage's queue.</summary>
    public const string ThumbnailQueueUrl = "IMAGEPIPELINE_THUMBNAIL_QUEUE_URL";

    /// <summary>The deadletter function's: ARN of the resize stage's dead-letter queue (tells a record's stage).</summary>
    public const string ResizeDeadLetterQueueArn = "IMAGEPIPELINE_RESIZE_DLQ_ARN";

    /// <summary>The deadletter function's: ARN of the thumbnail stage's dead-letter queue.</summary>
    public const string ThumbnailDeadLetterQueueArn = "IMAGEPIPELINE_THUMBNAIL_DLQ_ARN";

    /// <summary>
    /// The api function's, optional: the folder (relative to the bootstrap) of the web page it serves outside <c>/v1</c>
    /// (behind CloudFront, same origin as the API). Unset: only the API.
    /// </summary>
    public const string WebRoot = "IMAGEPIPELINE_WEB_ROOT";

    /// <summary>The api function's, optional: the Content-Security-Policy of the page it serves.</summary>
    public const string WebContentSecurityPolicy = "IMAGEPIPELINE_WEB_CSP";

    /// <summary>Which function the bootstrap serves: <see cref="Handlers"/>.</summary>
    public const string Handler = "_HANDLER";

    /// <summary>The values of <see cref="Handler"/>.</summary>
    public static IReadOnlyList<string> Handlers { get; } = ["resize", "thumbnail", "api", "deadletter"];
}
