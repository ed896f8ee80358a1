using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImagePipeline.Functions.Events;

/// <summary>The event Lambda's SQS event source mapping sends: a batch of messages.</summary>
internal sealed record SqsEvent([property: JsonPropertyName("Records")] IReadOnlyList<SqsMessage>? Records);

/// <summary>One SQS message. Its body is an S3 event notification (SNS raw delivery), read by Core's S3EventParser.</summary>
internal sealed record SqsMessage(
    string? MessageId,
    string? ReceiptHandle,
    string? Body,
    SqsMessageAttributes? Attributes,
    string? Md5OfBody,
    string? EventSource,
    [property: JsonPropertyName("eventSourceARN")] string? EventSourceArn,
    string? AwsRegion)
{
    /// <summary>
    /// How many times this message was received, this time included (1 on the first delivery); 1 when SQS did not say,
    /// so a missing attribute can never make a first failure the last.
    /// </summary>
    public int ReceiveCount =>
        int.TryParse(Attributes?.ApproximateReceiveCount, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count > 0 ? count : 1;
}

/// <summary>The system attributes of a message (SQS sends them as strings).</summary>
internal sealed record SqsMessageAttributes(
    [property: JsonPropertyName("ApproximateReceiveCount")] string? ApproximateReceiveCount,
    [property: JsonPropertyName("SentTimestamp")] string? SentTimestamp,
    [property: JsonPropertyName("SenderId")] string? SenderId,
    [property: JsonPropertyName("ApproximateFirstReceiveTimestamp")] string? ApproximateFirstReceiveTimestamp);

/// <summary>
/// The partial batch response (<c>ReportBatchItemFailures</c>): the messages to receive again. An empty list deletes the
/// whole batch.
/// </summary>
internal sealed record SqsBatchResponse(IReadOnlyList<SqsBatchItemFailure> BatchItemFailures);

/// <summary>A message to be received again.</summary>
internal sealed record SqsBatchItemFailure(string ItemIdentifier);

/// <summary>Reading an SQS batch and answering with its partial batch response, for every queue-fed function.</summary>
internal static class SqsBatches
{
    /// <summary>
    /// The batch's messages. Without ids no failure could be reported, and acknowledging would lose the messages: a
    /// record without one fails the whole batch (<see cref="InvalidDataException"/>).
    /// </summary>
    public static IReadOnlyList<SqsMessage> Messages(ReadOnlyMemory<byte> payload)
    {
        var batch = JsonSerializer.Deserialize(payload.Span, FunctionJsonContext.Default.SqsEvent)
            ?? throw new InvalidDataException("The event is not an SQS batch (null).");
        var messages = batch.Records ?? [];
        return messages.FirstOrDefault(m => string.IsNullOrEmpty(m.MessageId)) is null
            ? messages
            : throw new InvalidDataException("The event is not an SQS batch: a record has no messageId.");
    }

    /// <summary>The partial batch response: only these messages are received again.</summary>
    public static byte[] Response(IReadOnlyList<SqsBatchItemFailure> failures) =>
        JsonSerializer.SerializeToUtf8Bytes(new SqsBatchResponse(failures), FunctionJsonContext.Default.SqsBatchResponse);
}
