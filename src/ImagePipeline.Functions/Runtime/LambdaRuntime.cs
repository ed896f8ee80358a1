using ImagePipeline.Functions.Handlers;
using ImagePipeline.Functions.Observability;

namespace ImagePipeline.Functions.Runtime;

/// <summary>
/// The invocation loop of a custom runtime: take the next event, run the handler under a token that fires before the
/// deadline, post its result or its error, repeat. One invocation at a time, as Lambda runs them.
/// </summary>
internal sealed class LambdaRuntime(RuntimeApiClient client, IFunctionHandler handler, JsonLogger log, TimeProvider clock, TimeSpan deadlineMargin)
{
    /// <summary>The environment variable the AWS SDK and X-Ray read the current trace header from.</summary>
    public const string TraceIdVariable = "_X_AMZN_TRACE_ID";

    /// <summary>Runs until <paramref name="stoppingToken"/> fires or the Runtime API cannot be reached.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var invocation = await client.NextAsync(stoppingToken).ConfigureAwait(false);
            await InvokeAsync(invocation, stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task InvokeAsync(Invocation invocation, CancellationToken stoppingToken)
    {
        Environment.SetEnvironmentVariable(TraceIdVariable, invocation.TraceId);
        log.RequestId = invocation.RequestId;
        log.TraceId = invocation.TraceId;
        try
        {
            byte[] result;
            using (var deadline = DeadlineTimer.Start(invocation.Deadline, clock, deadlineMargin))
            {
                try
                {
                    result = await handler.HandleAsync(invocation.Payload, new InvocationContext(invocation, clock, deadline.Token)).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    log.Error(e, "Invocation failed: {ErrorType}: {ErrorMessage}", e.GetType().Name, e.Message);
                    await ReportErrorAsync(invocation, e, stoppingToken).ConfigureAwait(false);
                    return;
                }
            }

            try
            {
                await client.RespondAsync(invocation.RequestId, result, stoppingToken).ConfigureAwait(false);
            }
            catch (RuntimeApiException e) when (e.Status is >= 400 and < 500)
            {
                // Refused (e.g. over the 6 MB response limit): say so on the invocation instead of leaving it to time out.
                log.Error(e, "The Runtime API refused the response of {Bytes} bytes", result.Length);
                await ReportErrorAsync(invocation, e, stoppingToken).ConfigureAwait(false);
            }
        }
        finally
        {
            log.RequestId = null;
            log.TraceId = null;
        }
    }

    private async Task ReportErrorAsync(Invocation invocation, Exception error, CancellationToken stoppingToken)
    {
        try
        {
            await client.ReportInvocationErrorAsync(invocation.RequestId, error, stoppingToken).ConfigureAwait(false);
        }
        catch (RuntimeApiException e)
        {
            // A refused report must not end the loop: exiting would cost the next event a cold start, and Lambda
            // already times the invocation out on its own.
            log.Error(e, "The Runtime API refused the error report of invocation {RequestId}", invocation.RequestId);
        }
    }
}
