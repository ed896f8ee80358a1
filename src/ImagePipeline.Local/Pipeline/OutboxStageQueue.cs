using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Events;
using ImagePipeline.Core.Queues;

namespace ImagePipeline.Local.Pipeline;

/// <summary>Reprocessing's queue on the local host: a row in the outbox for one stage.</summary>
public sealed class OutboxStageQueue(Outbox outbox) : IStageQueue
{
    /// <inheritdoc />
    public Task SendAsync(Stage stage, string body, CancellationToken cancellationToken)
    {
        var key = S3EventParser.Parse(body) is [var created] ? created.Key : throw new ArgumentException("Expected one object-created record.", nameof(body));
        return outbox.EnqueueAsync(key, body, [stage], cancellationToken);
    }
}
