using ImagePipeline.Core.Imaging;

namespace ImagePipeline.Core.Services;

/// <summary>What the queue should do with a message.</summary>
public enum StageDisposition
{
    /// <summary>Done with it (processed, failed permanently, duplicate, stale or irrelevant): delete the message.</summary>
    Acknowledge,
    /// <summary>A transient failure: leave it for another receive.</summary>
    Retry,
}

/// <summary>What a cancelled token means to the caller of <see cref="StageProcessor"/>.</summary>
public enum CancellationMeaning
{
    /// <summary>The invocation ran out of time: the attempt failed (a Lambda deadline).</summary>
    Deadline,
    /// <summary>The host is stopping gracefully: not an attempt; nothing is recorded.</summary>
    Shutdown,
}

/// <summary>How much a <see cref="StageReport"/> matters to whoever runs the pipeline: the level a host logs it at.</summary>
public enum StageSeverity
{
    /// <summary>Work done, or nothing to do (a duplicate, stale or orphan event, a deleted image, a test event).</summary>
    Routine,
    /// <summary>The user's file cannot be processed (a permanent error code was recorded); nothing is wrong with the pipeline.</summary>
    FileRejected,
    /// <summary>A failure of ours that another attempt may cure (the message is retried).</summary>
    Transient,
    /// <summary>A failure of ours that is final: <c>internal</c> recorded, or a message that could not be read at all.</summary>
    Fault,
}

/// <summary>What happened to one event, for the host to log and count.</summary>
/// <param name="Disposition">Acknowledge or retry.</param>
/// <param name="Outcome">
/// <c>done</c>, <c>failed</c>, <c>duplicate</c>, <c>stale</c>, <c>orphan</c>, <c>deleted</c>, <c>ignored</c>,
/// <c>malformed</c>, <c>retry</c> or <c>gave-up</c>.
/// </param>
/// <param name="ImageId">The image, when the key named one.</param>
/// <param name="ErrorCode">The error code recorded, for failures.</param>
/// <param name="Detail">A human-readable explanation.</param>
/// <param name="Elapsed">Time spent.</param>
/// <param name="OutputBytes">Bytes written to the derived store.</param>
public sealed record StageReport(
    StageDisposition Disposition, string Outcome, Guid? ImageId, string? ErrorCode, string Detail, TimeSpan Elapsed, long OutputBytes)
{
    /// <summary>
    /// The report's weight: a permanent failure of the user's file is <see cref="StageSeverity.FileRejected"/>, a
    /// retry <see cref="StageSeverity.Transient"/>, a final failure of ours (<c>internal</c> recorded, or an unreadable
    /// message dropped) <see cref="StageSeverity.Fault"/>, anything else <see cref="StageSeverity.Routine"/>.
    /// </summary>
    public StageSeverity Severity => Outcome switch
    {
        "retry" => StageSeverity.Transient,
        "gave-up" or "malformed" => StageSeverity.Fault,
        "failed" => ImageErrorCodes.TryParse(ErrorCode, out var code) && code != ImageErrorCode.Internal
            ? StageSeverity.FileRejected
            : StageSeverity.Fault,
        _ => StageSeverity.Routine,
    };
}
