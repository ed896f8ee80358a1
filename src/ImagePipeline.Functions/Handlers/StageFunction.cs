using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Services;
using ImagePipeline.Functions.Events;
using ImagePipeline.Functions.Observability;
using ImagePipeline.Functions.Runtime;

namespace ImagePipeline.Functions.Handlers;

/// <summary>
/// The resize or thumbnail function: an SQS batch of S3 notifications in, the partial batch response out. Each message
/// goes through Core's <see cref="StageProcessor"/> with its receive count as the attempt, so the last allowed receive
/// records the stage failed instead of retrying; only messages worth another receive are returned as failures.
/// </summary>
internal sealed class StageFunction(Stage stage, StageProcessor processor, int maxReceives, JsonLogger log, MetricsWriter metrics, TimeSpan startReserve) : IFunctionHandler
{
    /// <summary>
    /// A message is not started with less time than this left: half-done work would be thrown away, so it goes back
    /// to the queue untouched instead.
    /// </summary>
    public static readonly TimeSpan DefaultStartReserve = TimeSpan.FromSeconds(3);

    public async Task<byte[]> HandleAsync(ReadOnlyMemory<byte> payload, InvocationContext context)
    {
        var messages = SqsBatches.Messages(payload);
        var failures = new List<SqsBatchItemFailure>();
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            if (context.Remaining < startReserve || context.CancellationToken.IsCancellationRequested)
            {
                log.Warning(
                    "Deadline near ({RemainingMs:0} ms left): {Deferred} of {Total} messages returned to the queue unprocessed",
                    context.Remaining.TotalMilliseconds, messages.Count - i, messages.Count);
                foreach (var deferred in messages.Skip(i))
                {
                    if (deferred.ReceiveCount >= maxReceives)
                    {
                        // Its next trip is to the dead-letter queue: record the failure now, or the image would stay
                        // processing forever. The invocation's token may have fired, so the write gets its own.
                        using var recording = new CancellationTokenSource(StageProcessor.GiveUpWriteTimeout);
                        var abandoned = await processor.AbandonMessageAsync(
                            stage, deferred.Body ?? "", $"Not started on receive {deferred.ReceiveCount}: the invocation's deadline was near.", recording.Token).ConfigureAwait(false);
                        foreach (var report in abandoned)
                        {
                            Record(deferred, report);
                        }

                        if (abandoned.All(r => r.Disposition == StageDisposition.Acknowledge))
                        {
                            continue;
                        }
                    }

                    failures.Add(new SqsBatchItemFailure(deferred.MessageId!));
                }

                break;
            }

            var reports = await processor.ProcessMessageAsync(stage, message.Body ?? "", message.ReceiveCount, context.CancellationToken).ConfigureAwait(false);
            foreach (var report in reports)
            {
                Record(message, report);
            }

            if (reports.Any(r => r.Disposition == StageDisposition.Retry))
            {
                failures.Add(new SqsBatchItemFailure(message.MessageId!));
            }
        }

        return SqsBatches.Response(failures);
    }

    private void Record(SqsMessage message, StageReport report)
    {
        // Only failures carry a code; a success line without one reads cleanly.
        if (report.ErrorCode is { } code)
        {
            log.Write(
                StageLogLevels.Of(report),
                null,
                "Stage {Stage} {Outcome} image {ImageId} with {ErrorCode} in {ElapsedMs:0} ms, message {MessageId} receive {ReceiveCount}: {Detail}",
                [stage.ToName(), report.Outcome, report.ImageId, code, report.Elapsed.TotalMilliseconds, message.MessageId, message.ReceiveCount, report.Detail]);
        }
        else
        {
            log.Write(
                StageLogLevels.Of(report),
                null,
                "Stage {Stage} {Outcome} image {ImageId} in {ElapsedMs:0} ms, {OutputBytes} bytes, message {MessageId} receive {ReceiveCount}: {Detail}",
                [stage.ToName(), report.Outcome, report.ImageId, report.Elapsed.TotalMilliseconds, report.OutputBytes, message.MessageId, message.ReceiveCount, report.Detail]);
        }

        switch (report.Outcome)
        {
            case "done":
                metrics.Emit([
                    new Metric("ImagesProcessed", "Count", 1),
                    new Metric("ProcessingTime", "Milliseconds", report.Elapsed.TotalMilliseconds),
                    new Metric("OutputBytes", "Bytes", report.OutputBytes),
                ]);
                break;
            case "failed" or "gave-up":
                metrics.Emit(
                    [new Metric("ImagesFailed", "Count", 1), new Metric("ProcessingTime", "Milliseconds", report.Elapsed.TotalMilliseconds)],
                    new KeyValuePair<string, string>("ErrorCode", report.ErrorCode ?? "unknown"));
                break;
            case "retry":
                metrics.Emit([new Metric("TransientFailures", "Count", 1)]);
                break;
        }
    }
}
