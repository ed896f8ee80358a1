using ImagePipeline.Core.Catalog;

namespace ImagePipeline.Local.Pipeline;

/// <summary>
/// Periodic housekeeping: removes expired pending records and tombstones (as DynamoDB's TTL does in AWS) and finishes
/// uploads whose events were never queued (<see cref="UploadRecovery"/>).
/// </summary>
public sealed partial class CatalogSweeper(IImageCatalog catalog, UploadRecovery recovery, TimeProvider clock, ILogger<CatalogSweeper> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Interval, clock, stoppingToken).ConfigureAwait(false);
                var purged = await catalog.PurgeExpiredAsync(clock.GetUtcNow(), stoppingToken).ConfigureAwait(false);
                if (purged > 0)
                {
                    LogPurged(logger, purged);
                }

                await recovery.RunAsync(atStartup: false, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogFailed(logger, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Purged {Count} expired catalog record(s)")]
    private static partial void LogPurged(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Catalog housekeeping failed; it runs again in a minute")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
