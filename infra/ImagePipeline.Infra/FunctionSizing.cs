namespace ImagePipeline.Infra;

/// <summary>
/// Memory, timeouts and SQS batching of the four functions, from the Functions benchmark
/// (<c>dotnet run -c Release --project tests/ImagePipeline.Benchmarks -- lambda</c>; figures in the README). Peak RSS
/// at the 100 MP limit is 196 MiB (resize) and 170 MiB (thumbnail), 228 MiB for a resize process after several
/// images, 68 MiB for the api: memory alone would need 384 / 256 / 128 MB. The sizes are higher because Lambda gives
/// CPU in proportion to memory (1,769 MB is one vCPU): the resize stage encodes its renditions on two threads, the
/// thumbnail's attention crop is CPU-bound, and the api's cold start (runtime, libvips, SDK clients) is too. A 12 MP
/// resize takes ~1 s warm and a 100 MP one ~1.5 s on a full core, so the timeouts leave ample room for an image (a
/// stage invocation handles one message: see <see cref="ResizeBatchSize"/>).
/// The worst inputs the limits admit (issue 10's re-measure, same benchmark, <c>MALLOC_ARENA_MAX=2</c>) are not the
/// 100 MP JPEG: an 8062×8062 16-bit RGBA interlaced PNG (the largest within the 512 MiB decode budget) peaks at
/// 758 MiB resize / 697 MiB thumbnail, and a 2048×16383 RGBA PNG (renditions near WebP's height limit, encoded two at
/// a time) at 943 MiB resize. So resize keeps 2048 MB and the thumbnail goes from 1024 to 1536 MB: an OOM kill is
/// recovered by the dead-letter path, but it should not be what a legitimate image meets.
/// </summary>
public static class FunctionSizing
{
    public const int ResizeMemoryMb = 2048;
    public const int ThumbnailMemoryMb = 1536;
    public const int ApiMemoryMb = 512;

    /// <summary>
    /// The deadletter function parses SQS records and makes at most a GetItem and a conditional UpdateItem per record: no
    /// image is decoded, no object read. The api, with the same runtime and SDK clients plus the HTTP routing, peaks at
    /// 68 MiB RSS; 256 MB leaves room for that and half the api's CPU share for the cold start. No user waits on it.
    /// </summary>
    public const int DeadLetterMemoryMb = 256;

    public const int ResizeTimeoutSeconds = 60;
    public const int ThumbnailTimeoutSeconds = 30;
    public const int ApiTimeoutSeconds = 10;

    /// <summary>A batch of ten records is twenty small DynamoDB calls: well under a second, 30 s leaves room for SDK retries.</summary>
    public const int DeadLetterTimeoutSeconds = 30;

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

    /// <summary>
    /// One message per stage invocation, to isolate poison files. A crash, OOM kill or timeout fails the whole batch, and
    /// SQS counts a receive on every message in it: with batches of 5–10, one file that kills the process burned a receive
    /// of up to 9 others on each crash, and sent them to the dead-letter queue with it. With 1, a crash counts only
    /// against the file that caused it. Throughput comes from concurrency (<see cref="StageMaxConcurrency"/>) instead.
    /// </summary>
    public const int ResizeBatchSize = 1;
    public const int ThumbnailBatchSize = 1;

    /// <summary>Concurrent invocations per queue: bounds the load a burst of uploads puts on the table and buckets.</summary>
    public const int StageMaxConcurrency = 10;

    /// <summary>Dead-lettered records per deadletter invocation: they are cheap, and a crash of this function is not expected.</summary>
    public const int DeadLetterBatchSize = 10;

    /// <summary>Concurrent deadletter invocations per dead-letter queue: the least Lambda allows; dead letters are rare.</summary>
    public const int DeadLetterMaxConcurrency = 2;

    /// <summary>Receives the deadletter function gets of a dead-lettered message before it moves on to the parking queue.</summary>
    public const int DeadLetterReceives = 3;

    /// <summary>
    /// The dead-letter queues' own maxReceiveCount. SQS keeps a message's receive count when it moves it to a dead-letter
    /// queue (a message received once before its move reports ApproximateReceiveCount 2 on its first receive from the
    /// dead-letter queue: recorded against AWS in LocalStack's SQS parity test test_dead_letter_queue_message_attributes),
    /// so a message arrives there already counted <see cref="MaxReceiveCount"/> times; a
    /// maxReceiveCount of 3 would move it on to the parking queue at its first receive, before the deadletter function
    /// ever saw it. Hence the source queue's count plus the receives the deadletter function is meant to get.
    /// </summary>
    public const int DeadLetterQueueMaxReceiveCount = MaxReceiveCount + DeadLetterReceives;

    /// <summary>HTTP API stage throttling (requests per second, burst).</summary>
    public const double ApiRateLimit = 50;
    public const double ApiBurstLimit = 100;
}
