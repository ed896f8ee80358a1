using System.Collections.Concurrent;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Queues;

namespace ImagePipeline.Testing;

/// <summary>An <see cref="IStageQueue"/> that keeps what was sent, in order, per stage.</summary>
public sealed class InMemoryStageQueue : IStageQueue
{
    private readonly ConcurrentQueue<(Stage Stage, string Body)> _sent = new();

    /// <summary>When set, every send throws it (the queue is unreachable).</summary>
    public Exception? FailWith { get; set; }

    /// <summary>Runs after each send, as if a stage took the message at once.</summary>
    public Action<Stage, string>? OnSent { get; set; }

    /// <summary>Everything sent, oldest first.</summary>
    public IReadOnlyList<(Stage Stage, string Body)> Sent => [.. _sent];

    public Task SendAsync(Stage stage, string body, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (FailWith is { } failure)
        {
            throw failure;
        }

        _sent.Enqueue((stage, body));
        OnSent?.Invoke(stage, body);
        return Task.CompletedTask;
    }
}
