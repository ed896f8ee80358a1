using System.Diagnostics;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Storage;
using ImagePipeline.Functions.Observability;

namespace ImagePipeline.Functions.Hosting;

/// <summary>One read that opens a service's connection: its name for the log, and the read.</summary>
internal sealed record Primer(string Service, Func<CancellationToken, Task> ReadAsync);

/// <summary>
/// One read per service a function calls, made during init. An SDK client's first request pays for its HTTP
/// connection (and TLS handshake on AWS), credential and endpoint resolution; without this, the first invocation (an
/// upload waiting to be processed, a visitor waiting for a page) pays for them instead. The reads name an image that
/// cannot exist, so they find nothing and change nothing. A read that fails or outlasts the budget is logged and init
/// goes on: the first invocation then opens the connection itself, and meets the failure, if it lasts, where it is
/// handled (retried, or answered with a problem).
/// </summary>
internal static class ConnectionPriming
{
    /// <summary>A version-7 id stamped at the Unix epoch: no upload carries it (ids are stamped when one is made).</summary>
    public static readonly Guid NoImage = new("00000000-0000-7000-8000-000000000000");

    /// <summary>Init must stay short (Lambda allows 10 s; the target is 100 ms): a slow service is not waited for.</summary>
    public static readonly TimeSpan DefaultBudget = TimeSpan.FromSeconds(2);

    /// <summary>The catalog read every function makes first: a record that does not exist.</summary>
    public static Primer Catalog(IImageCatalog catalog) =>
        new("catalog", async cancellationToken => _ = await catalog.GetAsync(NoImage, cancellationToken).ConfigureAwait(false));

    /// <summary>The stages' read of an original: an object that does not exist (404, not 403: they may list the bucket).</summary>
    public static Primer Originals(IObjectStore store) =>
        new("originals", async cancellationToken =>
        {
            try
            {
                _ = await store.GetOriginalAsync(ObjectKeys.Original(NoImage), "no-such-version", cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ObjectNotFoundException or ObjectChangedException)
            {
                // The answer expected: the request went through.
            }
        });

    /// <summary>Runs <paramref name="primers"/> side by side; never throws, never waits past <paramref name="budget"/>.</summary>
    public static async Task RunAsync(IReadOnlyList<Primer> primers, JsonLogger log, TimeSpan budget)
    {
        var started = Stopwatch.GetTimestamp();
        using var cancellation = new CancellationTokenSource(budget);
        var reads = primers.Select(p => (p.Service, Read: TryAsync(p, cancellation.Token))).ToList();
        try
        {
            // A read that ignores its token must not hold init either.
            await Task.WhenAll(reads.Select(r => r.Read)).WaitAsync(budget).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Each read still running is reported below.
        }

        var primed = new List<string>();
        foreach (var (service, read) in reads)
        {
            var failure = !read.IsCompletedSuccessfully || read.Result is OperationCanceledException
                ? FormattableString.Invariant($"no answer within {budget.TotalSeconds:0.#} s")
                : read.Result?.Message;
            if (failure is null)
            {
                primed.Add(service);
            }
            else
            {
                log.Warning("Opening the {Service} connection during init failed; the first invocation opens it instead: {ErrorMessage}", service, failure);
            }
        }

        log.Information("Connections opened during init: {Services} in {ElapsedMs:0} ms", primed.Count > 0 ? string.Join(",", primed) : "none", Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    private static async Task<Exception?> TryAsync(Primer primer, CancellationToken cancellationToken)
    {
        try
        {
            await primer.ReadAsync(cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }
}
