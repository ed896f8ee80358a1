using Amazon.SQS;
using Amazon.SQS.Model;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Queues;
using ImagePipeline.Core.Storage;

namespace ImagePipeline.Aws;

/// <summary>
/// <see cref="IStageQueue"/> on the stages' SQS queues (low-level client): reprocessing sends the original's event
/// straight to the one stage's queue, not through SNS (its topic is KMS-encrypted, and the queues are SSE-SQS, so no key
/// is involved). SQS stores a message durably before SendMessage answers. Throttling, server faults and timeouts
/// surface as <see cref="TransientStorageException"/>, as in the S3 and DynamoDB adapters.
/// </summary>
public sealed class SqsStageQueue : IStageQueue
{
    /// <summary>SQS's limit on a message body (256 KiB).</summary>
    public const int MaxBodyBytes = 256 * 1024;

    private readonly IAmazonSQS _sqs;
    private readonly Uri _resizeQueue;
    private readonly Uri _thumbnailQueue;

    /// <summary>Sends to <paramref name="resizeQueueUrl"/> or <paramref name="thumbnailQueueUrl"/> by stage.</summary>
    public SqsStageQueue(IAmazonSQS sqs, Uri resizeQueueUrl, Uri thumbnailQueueUrl)
    {
        ArgumentNullException.ThrowIfNull(sqs);
        _resizeQueue = RequireQueueUrl(resizeQueueUrl, nameof(resizeQueueUrl));
        _thumbnailQueue = RequireQueueUrl(thumbnailQueueUrl, nameof(thumbnailQueueUrl));
        AwsClients.InitializeSdk();
        _sqs = sqs;
    }

    /// <summary>The URL of <paramref name="stage"/>'s queue.</summary>
    public Uri QueueUrlOf(Stage stage) => stage == Stage.Resize ? _resizeQueue : _thumbnailQueue;

    /// <inheritdoc />
    public async Task SendAsync(Stage stage, string body, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(body);
        if (System.Text.Encoding.UTF8.GetByteCount(body) > MaxBodyBytes)
        {
            throw new ArgumentException($"The message body exceeds SQS's {MaxBodyBytes} bytes.", nameof(body));
        }

        var queueUrl = QueueUrlOf(stage);
        try
        {
            await _sqs.SendMessageAsync(new SendMessageRequest { QueueUrl = queueUrl.ToString(), MessageBody = body }, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception e) when (AwsErrors.IsTransient(e, cancellationToken))
        {
            throw new TransientStorageException(
                $"Sending to the {stage.ToName()} queue ({queueUrl}) failed and may succeed on retry: {e.Message}", e);
        }
    }

    private static Uri RequireQueueUrl(Uri url, string name)
    {
        ArgumentNullException.ThrowIfNull(url, name);
        return url.IsAbsoluteUri && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp)
            ? url
            : throw new ArgumentException($"'{url}' is not a queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>).", name);
    }
}
