namespace ImagePipeline.Infra;

/// <summary>
/// Memory, timeouts and SQS batching of the three functions, from the Functions benchmark
/// (<c>dotnet run -c Release --project tests/ImagePipeline.Benchmarks -- lambda</c>; figures in the README). Peak RSS
/// at the 100 MP limit is 196 MiB (resize) and 170 MiB (thumbnail), 228 MiB for a resize process after several
/// images, 68 MiB for the api: memory alone would need 384 / 256 / 128 MB. The sizes are higher because Lambda gives
/// CPU in proportion to memory (1,769 MB is one vCPU): the resize stage encodes its renditions on two threads, the
/// thumbnail's attention crop is CPU-bound, and the api's cold start (runtime, libvips, SDK clients) is too. A 12 MP
/// resize takes ~1 s warm and a 100 MP one ~1.5 s on a full core, so the timeouts leave ample room for a batch.
/// </summary>
public static class FunctionSizing
{
    public const int ResizeMemoryMb = 2048;
    public const int ThumbnailMemoryMb = 1024;
    public const int ApiMemoryMb = 512;

    public const int ResizeTimeoutSeconds = 60;
    public const int ThumbnailTimeoutSeconds = 30;
    public const int ApiTimeoutSeconds = 10;

    /// <summary>
    /// Receives before a message goes to its dead-letter queue. The stage functions get the same number
    /// (IMAGEPIPELINE_MAX_RECEIVES) so the last receive records the stage as failed instead of leaving it processing.
    /// </summary>
    public const int MaxReceiveCount = 5;

    /// <summary>
    /// AWS's guidance for SQS event sources: a visibility timeout of at least six times the function timeout, so a
    /// batch still being retried by the poller is not handed to a second invocation.
    /// </summary>
    public const int VisibilityTimeoutFactor = 6;

    /// <summary>Messages per invocation: a full batch of 24 MP images stays well inside each stage's timeout.</summary>
    public const int ResizeBatchSize = 5;
    public const int ThumbnailBatchSize = 10;

    /// <summary>Concurrent invocations per queue: bounds the load a burst of uploads puts on the table and buckets.</summary>
    public const int StageMaxConcurrency = 10;

    /// <summary>HTTP API stage throttling (requests per second, burst).</summary>
    public const double ApiRateLimit = 50;
    public const double ApiBurstLimit = 100;
}
