using System.Threading.Channels;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Services;

namespace ImagePipeline.Local.Pipeline;

/// <summary>Settings of the in-process fan-out.</summary>
public sealed record DispatcherOptions
{
    /// <summary>Messages of one stage processed at once (default: the number of cores).</summary>
    public int Concurrency { get; init; } = Environment.ProcessorCount;

    /// <summary>Receives before a message is dead-lettered (the design's maxReceiveCount).</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>First retry delay; doubled per attempt up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest retry delay.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often due retries are looked for when nothing new arrives.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(500);
}

/// <summary>
/// Two in-process queues (resize, thumbnail) fed from the outbox, each with bounded concurrency, retries with
/// exponential backoff and a dead-letter table, as SQS with a DLQ would behave. Each queue is woken the moment rows
/// are written for it, and polls only for retries that become due.
/// </summary>
public sealed partial class StageDispatcher(
    Outbox outbox, StageProcessor processor, DispatcherOptions options, ILogger<StageDispatcher> logger) : BackgroundService
{
    private readonly Channel<bool>[] _wake = [NewWakeChannel(), NewWakeChannel()];

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        outbox.Enqueued += Wake;
        return Task.WhenAll(RunStageAsync(Stage.Resize, stoppingToken), RunStageAsync(Stage.Thumbnail, stoppingToken));
    }

    private static Channel<bool> NewWakeChannel() =>
        Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    private void Wake(IReadOnlyList<Stage> stages)
    {
        foreach (var stage in stages)
        {
            Wake(stage);
        }
    }

    private void Wake(Stage stage) => _wake[(int)stage].Writer.TryWrite(true);

    private async Task RunStageAsync(Stage stage, CancellationToken stoppingToken)
    {
        var inFlight = new HashSet<long>();
        var slots = new SemaphoreSlim(options.Concurrency);
        var running = new List<Task>();
        while (!stoppingToken.IsCancellationRequested)
        {
            IReadOnlyList<OutboxMessage> due;
            try
            {
                HashSet<long> snapshot;
                lock (inFlight)
                {
                    snapshot = [.. inFlight];
                }

                due = await outbox.DueAsync(stage, Math.Max(1, options.Concurrency * 2), snapshot, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                LogPollFailed(logger, e, stage.ToName());
                due = [];
            }

            foreach (var message in due)
            {
                try
                {
                    await slots.WaitAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                lock (inFlight)
                {
                    inFlight.Add(message.Id);
                }

                running.Add(Task.Run(
                    async () =>
                    {
                        try
                        {
                            await HandleAsync(message, stoppingToken).ConfigureAwait(false);
                        }
                        finally
                        {
                            lock (inFlight)
                            {
                                inFlight.Remove(message.Id);
                            }

                            slots.Release();
                            Wake(stage);
                        }
                    },
                    CancellationToken.None));
            }

            running.RemoveAll(t => t.IsCompleted);
            if (due.Count == 0)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timeout.CancelAfter(options.PollInterval);
                try
                {
                    await _wake[(int)stage].Reader.ReadAsync(timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    // Poll interval elapsed: look for retries that became due.
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        await Task.WhenAll(running).ConfigureAwait(false);
    }

    private async Task HandleAsync(OutboxMessage queued, CancellationToken stoppingToken)
    {
        OutboxMessage message;
        try
        {
            message = await outbox.ReceiveAsync(queued, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            LogOutboxWriteFailed(logger, e, queued.Id);
            return;
        }

        var attempt = message.Attempts;
        if (attempt > options.MaxAttempts)
        {
            // Its earlier receives all ended with the process dying (a crash, an OOM kill): this is where SQS would
            // move it to the dead-letter queue, and where the deadletter function records the stage failed.
            await DeadLetterAsync(message, $"the host stopped abruptly while processing it on each of {options.MaxAttempts} attempts").ConfigureAwait(false);
            return;
        }

        IReadOnlyList<StageReport> reports;
        try
        {
            reports = await processor.ProcessMessageAsync(message.Stage, message.Body, attempt, stoppingToken, CancellationMeaning.Shutdown).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping is not failing: the row stays with its receive given back, and runs again on the next start.
            try
            {
                await outbox.ReleaseAsync(message.Id, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                LogOutboxWriteFailed(logger, e, message.Id);
            }

            return;
        }

        foreach (var report in reports)
        {
            Log(message.Stage, report, attempt);
        }

        try
        {
            if (reports.All(r => r.Disposition == StageDisposition.Acknowledge))
            {
                await outbox.AcknowledgeAsync(message.Id, CancellationToken.None).ConfigureAwait(false);
                return;
            }

            var error = string.Join("; ", reports.Where(r => r.Disposition == StageDisposition.Retry).Select(r => r.Detail));
            if (attempt >= options.MaxAttempts)
            {
                await DeadLetterAsync(message, error).ConfigureAwait(false);
                return;
            }

            var delay = TimeSpan.FromTicks(Math.Min(options.MaxRetryDelay.Ticks, options.RetryDelay.Ticks << Math.Min(20, attempt - 1)));
            await outbox.RetryLaterAsync(message.Id, delay, error, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // The row stays as it was and is received again: at-least-once, as with SQS.
            LogOutboxWriteFailed(logger, e, message.Id);
        }
    }

    /// <summary>
    /// The local dead-letter path: the stage is recorded failed with <c>internal</c> (never over a done stage), then
    /// the row moves to the dead letters. If the record cannot be written the row stays and is received again.
    /// </summary>
    private async Task DeadLetterAsync(OutboxMessage message, string reason)
    {
        try
        {
            var reports = await processor.AbandonMessageAsync(message.Stage, message.Body, reason, CancellationToken.None).ConfigureAwait(false);
            foreach (var report in reports)
            {
                Log(message.Stage, report, message.Attempts);
            }

            if (reports.Any(r => r.Disposition == StageDisposition.Retry))
            {
                LogDeadLetterNotRecorded(logger, message.Stage.ToName(), message.Id);
                return;
            }

            await outbox.DeadLetterAsync(message.Id, reason, CancellationToken.None).ConfigureAwait(false);
            LogDeadLettered(logger, message.Stage.ToName(), message.Id, message.Attempts, reason);
        }
        catch (Exception e)
        {
            LogOutboxWriteFailed(logger, e, message.Id);
        }
    }

    /// <summary>
    /// One line per report, at the level its severity calls for: a user's file that cannot be processed is a warning
    /// (nothing to fix here), a retry too, a final failure of ours an error. Only failures name a code.
    /// </summary>
    private void Log(Stage stage, StageReport report, int attempt)
    {
        var level = report.Severity switch
        {
            StageSeverity.Routine => LogLevel.Information,
            StageSeverity.FileRejected or StageSeverity.Transient => LogLevel.Warning,
            _ => LogLevel.Error,
        };
        if (report.ErrorCode is { } code)
        {
            LogFailure(logger, level, stage.ToName(), report.Outcome, report.ImageId, code, report.Elapsed.TotalMilliseconds, attempt, report.Detail);
        }
        else
        {
            LogReport(logger, level, stage.ToName(), report.Outcome, report.ImageId, report.Elapsed.TotalMilliseconds, report.OutputBytes, attempt, report.Detail);
        }
    }

    [LoggerMessage(Message = "Stage {Stage} {Outcome} image {ImageId} in {ElapsedMs:0} ms, {OutputBytes} bytes, attempt {Attempt}: {Detail}")]
    private static partial void LogReport(ILogger logger, LogLevel level, string stage, string outcome, Guid? imageId, double elapsedMs, long outputBytes, int attempt, string detail);

    [LoggerMessage(Message = "Stage {Stage} {Outcome} image {ImageId} with {ErrorCode} in {ElapsedMs:0} ms, attempt {Attempt}: {Detail}")]
    private static partial void LogFailure(ILogger logger, LogLevel level, string stage, string outcome, Guid? imageId, string errorCode, double elapsedMs, int attempt, string detail);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stage {Stage} message {MessageId} dead-lettered after {Attempts} attempts: {Error}")]
    private static partial void LogDeadLettered(ILogger logger, string stage, long messageId, int attempts, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stage {Stage} message {MessageId} is past its last attempt but its failure could not be recorded; it will be received again")]
    private static partial void LogDeadLetterNotRecorded(ILogger logger, string stage, long messageId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Polling the {Stage} queue failed")]
    private static partial void LogPollFailed(ILogger logger, Exception exception, string stage);

    [LoggerMessage(Level = LogLevel.Error, Message = "Recording the result of outbox message {MessageId} failed; it will be received again")]
    private static partial void LogOutboxWriteFailed(ILogger logger, Exception exception, long messageId);
}
