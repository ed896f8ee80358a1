using ImagePipeline.Core.Catalog;

namespace ImagePipeline.Local.Pipeline;

/// <summary>Removes expired pending records and tombstones, as DynamoDB's TTL does in AWS.</summary>
public sealed partial class CatalogSweeper(IImageCatalog catalog, TimeProvider clock, ILogger<CatalogSweeper> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var purged = await catalog.PurgeExpiredAsync(clock.GetUtcNow(), stoppingToken).ConfigureAwait(false);
                if (purged > 0)
                {
                    LogPurged(logger, purged);
                }

                await Task.Delay(Interval, clock, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogFailed(logger, e);
                await Task.Delay(Interval, clock, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Purged {Count} expired catalog record(s)")]
    private static partial void LogPurged(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Purging expired catalog records failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
