using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Services;
using ImagePipeline.Functions.Events;
using ImagePipeline.Functions.Observability;
using ImagePipeline.Functions.Runtime;

namespace ImagePipeline.Functions.Handlers;

/// <summary>
/// The deadletter function: an SQS batch from either stage's dead-letter queue, where a message lands when the stage's
/// process died on every receive (crash, out-of-memory kill, timeout) and so never recorded anything. Each record's
/// stage comes from its <c>eventSourceARN</c>; Core's <see cref="StageProcessor.AbandonMessageAsync"/> records the
/// stage failed/internal under the stage-result rules (never over a done stage). Items whose record could not be written
/// are returned as batch failures, so they are received again and, after the dead-letter queue's own receives, parked.
/// </summary>
internal sealed class DeadLetterFunction(
    StageProcessor processor, IReadOnlyDictionary<string, Stage> stagesByQueueArn, int maxReceives, JsonLogger log, MetricsWriter metrics) : IFunctionHandler
{
    public const string RecordedMetric = "DeadLettersRecorded";

    public async Task<byte[]> HandleAsync(ReadOnlyMemory<byte> payload, InvocationContext context)
    {
        var messages = SqsBatches.Messages(payload);
        var failures = new List<SqsBatchItemFailure>();
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            if (context.CancellationToken.IsCancellationRequested)
            {
                log.Warning("Deadline near: {Deferred} of {Total} dead letters returned to the queue unrecorded", messages.Count - i, messages.Count);
                failures.AddRange(messages.Skip(i).Select(m => new SqsBatchItemFailure(m.MessageId!)));
                break;
            }

            if (message.EventSourceArn is not { } arn || !stagesByQueueArn.TryGetValue(arn, out var stage))
            {
                // A wiring mistake (another queue subscribed): keep the message for an operator rather than guess a stage.
                log.Error(
                    null, "Dead letter {MessageId} comes from {EventSourceArn}, which is neither stage's dead-letter queue ({KnownQueues}); returned as failed",
                    message.MessageId, message.EventSourceArn, string.Join(", ", stagesByQueueArn.Keys));
                failures.Add(new SqsBatchItemFailure(message.MessageId!));
                continue;
            }

            var reason = $"the message reached the dead-letter queue after {maxReceives} receives of the {stage.ToName()} queue " +
                "(the function crashed, ran out of memory or timed out on each).";
            var reports = await processor.AbandonMessageAsync(stage, message.Body ?? "", reason, context.CancellationToken).ConfigureAwait(false);
            foreach (var report in reports)
            {
                Record(stage, message, report);
            }

            if (reports.Any(r => r.Disposition == StageDisposition.Retry))
            {
                failures.Add(new SqsBatchItemFailure(message.MessageId!));
            }
        }

        return SqsBatches.Response(failures);
    }

    private void Record(Stage stage, SqsMessage message, StageReport report)
    {
        if (report.ErrorCode is { } code)
        {
            log.Write(
                StageLogLevels.Of(report),
                null,
                "Dead letter of stage {Stage} {Outcome} image {ImageId} with {ErrorCode}, message {MessageId} receive {ReceiveCount}: {Detail}",
                [stage.ToName(), report.Outcome, report.ImageId, code, message.MessageId, message.ReceiveCount, report.Detail]);
        }
        else
        {
            log.Write(
                StageLogLevels.Of(report),
                null,
                "Dead letter of stage {Stage} {Outcome} image {ImageId}, message {MessageId} receive {ReceiveCount}: {Detail}",
                [stage.ToName(), report.Outcome, report.ImageId, message.MessageId, message.ReceiveCount, report.Detail]);
        }

        if (report.Outcome == "gave-up")
        {
            metrics.Emit([new Metric(RecordedMetric, "Count", 1)], new KeyValuePair<string, string>("Stage", stage.ToName()));
        }
    }
}
