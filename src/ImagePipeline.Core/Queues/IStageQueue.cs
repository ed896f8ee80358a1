using ImagePipeline.Core.Catalog;

namespace ImagePipeline.Core.Queues;

/// <summary>
/// The stages' queues, for sending an event to one stage only (reprocessing): the local outbox, or the stage's SQS
/// queue on AWS. Uploads reach the queues by themselves (S3 → SNS → SQS, or the local object endpoint).
/// </summary>
public interface IStageQueue
{
    /// <summary>Queues <paramref name="body"/> (an S3 event notification) for <paramref name="stage"/>, durably.</summary>
    Task SendAsync(Stage stage, string body, CancellationToken cancellationToken);
}
