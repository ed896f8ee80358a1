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

    // Rows being worked on, of both stages: a row that one stage's loop took along with its own is not the other's.
    private readonly HashSet<long> _inFlight = [];

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
        var slots = new SemaphoreSlim(options.Concurrency);
        var running = new List<Task>();
        while (!stoppingToken.IsCancellationRequested)
        {
            IReadOnlyList<OutboxMessage> due;
            try
            {
                due = await outbox.DueAsync(stage, Math.Max(1, options.Concurrency * 2), InFlightNow(), stoppingToken).ConfigureAwait(false);
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

                if (TryClaim(message) is not { } claimed)
                {
                    // The other stage's loop took it along with its own row since the poll.
                    slots.Release();
                    continue;
                }

                running.Add(Task.Run(
                    async () =>
                    {
                        try
                        {
                            await HandleAsync(claimed, stoppingToken).ConfigureAwait(false);
                        }
                        finally
                        {
                            Unclaim(message.Id);

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

    private HashSet<long> InFlightNow()
    {
        lock (_inFlight)
        {
            return [.. _inFlight];
        }
    }

    /// <summary>
    /// Claims the row and, in the same step, its sibling when nobody works on that yet: the loop that claims first runs
    /// both, the other skips its row. Null when the row itself is taken.
    /// </summary>
    private OutboxMessage? TryClaim(OutboxMessage message)
    {
        lock (_inFlight)
        {
            if (!_inFlight.Add(message.Id))
            {
                return null;
            }

            return message.SiblingId is { } sibling && _inFlight.Add(sibling) ? message : message with { SiblingId = null };
        }
    }

    private void Unclaim(long id)
    {
        lock (_inFlight)
        {
            _inFlight.Remove(id);
        }
    }

    /// <summary>
    /// Receives a row and runs it. When the other stage's row of the same upload is due too, it is taken along and
    /// both stages run from one decode (as <c>imagepipeline process</c> does); each row keeps its own receive count,
    /// retries and dead-lettering.
    /// </summary>
    private async Task HandleAsync(OutboxMessage queued, CancellationToken stoppingToken)
    {
        try
        {
            var message = await ReceiveAsync(queued).ConfigureAwait(false);
            if (message is null)
            {
                return;
            }

            if (await ReceiveSiblingAsync(queued).ConfigureAwait(false) is not { } sibling)
            {
                await HandleAloneAsync(message, stoppingToken).ConfigureAwait(false);
                return;
            }

            var (resize, thumbnail) = message.Stage == Stage.Resize ? (message, sibling) : (sibling, message);
            BothStagesReports reports;
            try
            {
                reports = await processor.ProcessMessageForBothStagesAsync(resize.Body, resize.Attempts, thumbnail.Attempts, stoppingToken, CancellationMeaning.Shutdown).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                await ReleaseAsync(resize).ConfigureAwait(false);
                await ReleaseAsync(thumbnail).ConfigureAwait(false);
                return;
            }

            await SettleAsync(resize, reports.Resize).ConfigureAwait(false);
            await SettleAsync(thumbnail, reports.Thumbnail).ConfigureAwait(false);
        }
        finally
        {
            if (queued.SiblingId is { } siblingId)
            {
                Unclaim(siblingId);
                Wake(queued.Stage == Stage.Resize ? Stage.Thumbnail : Stage.Resize);
            }
        }
    }

    /// <summary>Counts a receive; null when that failed, or when the row was dead-lettered (past its last attempt).</summary>
    private async Task<OutboxMessage?> ReceiveAsync(OutboxMessage queued)
    {
        OutboxMessage message;
        try
        {
            message = await outbox.ReceiveAsync(queued, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            LogOutboxWriteFailed(logger, e, queued.Id);
            return null;
        }

        if (message.Attempts > options.MaxAttempts)
        {
            // Its earlier receives all ended with the process dying (a crash, an OOM kill): this is where SQS would
            // move it to the dead-letter queue, and where the deadletter function records the stage failed.
            await DeadLetterAsync(message, $"the host stopped abruptly while processing it on each of {options.MaxAttempts} attempts").ConfigureAwait(false);
            return null;
        }

        return message;
    }

    /// <summary>Counts a receive of the claimed sibling row; null when there is none, or it cannot run now.</summary>
    private async Task<OutboxMessage?> ReceiveSiblingAsync(OutboxMessage message)
    {
        if (message.SiblingId is not { } siblingId)
        {
            return null;
        }

        var other = message.Stage == Stage.Resize ? Stage.Thumbnail : Stage.Resize;
        return await ReceiveAsync(new OutboxMessage(siblingId, other, message.Body, 0)).ConfigureAwait(false);
    }

    private async Task HandleAloneAsync(OutboxMessage message, CancellationToken stoppingToken)
    {
        IReadOnlyList<StageReport> reports;
        try
        {
            reports = await processor.ProcessMessageAsync(message.Stage, message.Body, message.Attempts, stoppingToken, CancellationMeaning.Shutdown).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await ReleaseAsync(message).ConfigureAwait(false);
            return;
        }

        await SettleAsync(message, reports).ConfigureAwait(false);
    }

    /// <summary>Stopping is not failing: the row stays with its receive given back, and runs again on the next start.</summary>
    private async Task ReleaseAsync(OutboxMessage message)
    {
        try
        {
            await outbox.ReleaseAsync(message.Id, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            LogOutboxWriteFailed(logger, e, message.Id);
        }
    }

    /// <summary>Logs a row's reports and acknowledges it, schedules its retry, or dead-letters it after the last attempt.</summary>
    private async Task SettleAsync(OutboxMessage message, IReadOnlyList<StageReport> reports)
    {
        var attempt = message.Attempts;
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
